import CNcursesw

extension NcursesScreen {
    /// A key from what wget_wch returned: a key code (`isKeyCode`, KEY_CODE_YES) or a
    /// character. Nil for what meshtop has no use for (other control characters, mouse, ...).
    static func decode(_ code: wint_t, isKeyCode: Bool) -> Key? {
        let value = Int32(bitPattern: code)
        if isKeyCode {
            switch value {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case KEY_BTAB: return .backTab
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_HOME, KEY_A1: return .home
            case KEY_END, KEY_C1: return .end
            case mt_key_resize(): return .resize
            case (KEY_F0 + 1) ... (KEY_F0 + 63): return .function(Int(value - KEY_F0))
            default: return nil
            }
        }
        switch value {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 8, 127: return .backspace
        default:
            guard value >= 0x20, !(0x80 ..< 0xA0).contains(value), let scalar = Unicode.Scalar(UInt32(value)) else {
                return nil
            }
            return .character(Character(scalar))
        }
    }
}
