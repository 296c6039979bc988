import Terminal

/// The mesh picker's keys: up/down choose a mesh, `<`/`>` change the world size, Enter applies,
/// Esc (or `m`) cancels. Other keys are ignored while it is open.
extension KeyMap {
    /// Opens the picker on the running mesh's world size with the running mesh chosen.
    static func openPicker(_ view: inout ViewState, context: KeyContext) {
        let world = max(1, context.replicate * context.shard)
        view.picker.worldSize = world
        view.picker.selected = MeshPickerView.meshes(world).firstIndex { $0 == (context.replicate, context.shard) } ?? 0
        view.overlay = .meshPicker
    }

    /// The largest world size `>` reaches: `--max-np`, or the running one if that is larger.
    static func pickerMaxWorld(_ picker: MeshPickerView, context: KeyContext) -> Int {
        max(1, picker.maxWorldSize, context.replicate * context.shard)
    }

    static func pickerKey(_ key: Key, view: inout ViewState, context: KeyContext) -> [DashboardCommand] {
        let count = MeshPickerView.meshes(view.picker.worldSize).count
        switch key {
        case .escape, .character("m"):
            view.overlay = .none
        case .up, .character("k"):
            view.picker.selected = max(0, view.picker.selected - 1)
        case .down, .character("j"):
            view.picker.selected = min(count - 1, view.picker.selected + 1)
        case .character("<"), .left, .character("h"):
            changeWorld(&view, to: view.picker.worldSize - 1, context: context)
        case .character(">"), .right, .character("l"):
            changeWorld(&view, to: view.picker.worldSize + 1, context: context)
        case .enter:
            guard let mesh = view.picker.selectedMesh, pickerRefusal(view.picker, context: context) == nil else { return [] }
            view.overlay = .none
            return [.reconfigure(replicate: mesh.replicate, shard: mesh.shard)]
        default:
            break
        }
        return []
    }

    /// Why Enter would do nothing on the chosen mesh (the picker shows it); nil when it applies.
    public static func pickerRefusal(_ picker: MeshPickerView, context: KeyContext) -> String? {
        guard let mesh = picker.selectedMesh else { return "no mesh chosen" }
        if !context.live { return "not a live run: Enter does nothing" }
        if mesh == (context.replicate, context.shard) { return "[\(mesh.replicate), \(mesh.shard)] is running: Enter does nothing" }
        if case .requested = context.meshSwitch { return "a switch is under way: Enter does nothing" }
        if let reason = picker.candidate(mesh.replicate, mesh.shard)?.unavailable { return reason }
        return nil
    }

    /// A new world size within 1...max; the chosen row goes to the running mesh when it is
    /// there, else to the first mesh.
    private static func changeWorld(_ view: inout ViewState, to world: Int, context: KeyContext) {
        let world = min(pickerMaxWorld(view.picker, context: context), max(1, world))
        guard world != view.picker.worldSize else { return }
        view.picker.worldSize = world
        view.picker.selected = MeshPickerView.meshes(world).firstIndex { $0 == (context.replicate, context.shard) } ?? 0
    }
}
