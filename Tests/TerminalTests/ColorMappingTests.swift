import Terminal
import XCTest

/// The nearest-colour maps and the choice of colour depth: pure functions.
final class ColorMappingTests: XCTestCase {
    func testNearest256IsTheClosestOfTheCubeAndGreysByExhaustiveSearch() {
        var colours: [(UInt8, UInt8, UInt8)] = []
        for r in stride(from: 0, through: 255, by: 15) {
            for g in stride(from: 0, through: 255, by: 15) {
                for b in stride(from: 0, through: 255, by: 15) { colours.append((UInt8(r), UInt8(g), UInt8(b))) }
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0 ..< 2000 {
            colours.append((UInt8.random(in: 0 ... 255, using: &generator), UInt8.random(in: 0 ... 255, using: &generator),
                            UInt8.random(in: 0 ... 255, using: &generator)))
        }
        for colour in colours {
            let chosen = XtermPalette.nearest256(colour.0, colour.1, colour.2)
            XCTAssertGreaterThanOrEqual(chosen, 16, "the basic 16 are the user's to re-theme")
            let best = (16 ... 255).map { XtermPalette.distance(XtermPalette.rgb(of: UInt8($0)), colour) }.min()!
            XCTAssertEqual(XtermPalette.distance(XtermPalette.rgb(of: chosen), colour), best, "for \(colour)")
        }
    }

    func testKnownPaletteEntries() {
        XCTAssertEqual(XtermPalette.nearest256(255, 0, 0), 196)
        XCTAssertEqual(XtermPalette.nearest256(0, 0, 0), 16)
        XCTAssertEqual(XtermPalette.nearest256(255, 255, 255), 231)
        XCTAssertEqual(XtermPalette.nearest256(128, 128, 128), 244, "mid grey is on the grey ramp (8 + 10 * 12)")
        XCTAssertEqual(XtermPalette.nearest256(0x5f, 0x87, 0xaf), 67, "a cube entry maps to itself")
        XCTAssertTrue(XtermPalette.rgb(of: 67) == (0x5f, 0x87, 0xaf))
        XCTAssertTrue(XtermPalette.rgb(of: 255) == (238, 238, 238))
        XCTAssertEqual(XtermPalette.nearestBasic(250, 10, 10, count: 16), 9)
        XCTAssertEqual(XtermPalette.nearestBasic(250, 10, 10, count: 8), 1)
        XCTAssertEqual(XtermPalette.nearestBasic(20, 20, 20, count: 8), 0)
    }

    func testDepthDetection() {
        func detect(_ hasColors: Bool = true, _ colors: Int = 256, rgb: Bool = false, ccc: Bool = false,
                    _ colorterm: String? = nil) -> ColorDepth {
            ColorDepth.detect(hasColors: hasColors, colors: colors, rgbFlag: rgb, canChangeColor: ccc, colorterm: colorterm)
        }
        XCTAssertEqual(detect(false, 0), .monochrome)
        XCTAssertEqual(detect(true, 2), .monochrome)
        XCTAssertEqual(detect(true, 8), .indexed8)
        XCTAssertEqual(detect(true, 16), .indexed16)
        XCTAssertEqual(detect(), .indexed256)
        XCTAssertEqual(detect(rgb: true), .direct)
        XCTAssertEqual(detect(true, 1 << 24), .direct)
        XCTAssertEqual(detect(ccc: true, "truecolor"), .redefinable)
        XCTAssertEqual(detect(ccc: true, "24bit"), .redefinable)
        XCTAssertEqual(detect(ccc: false, "truecolor"), .indexed256, "tmux: colours cannot be redefined")
        XCTAssertEqual(detect(ccc: true, nil), .indexed256)
        XCTAssertTrue(ColorDepth.direct.isTruecolor)
        XCTAssertFalse(ColorDepth.indexed256.isTruecolor)
    }

    func testColourNumbersAtEachDepth() {
        let red = Color.rgb(255, 0, 0)
        XCTAssertEqual(ColorDepth.direct.number(for: red), 0xFF0000)
        XCTAssertEqual(ColorDepth.direct.number(for: .rgb(0, 0, 3)), 8, "0-7 are palette colours in direct mode")
        XCTAssertEqual(ColorDepth.direct.number(for: .indexed(3)), 3)
        XCTAssertEqual(ColorDepth.direct.number(for: .indexed(196)), 0xFF0000)
        XCTAssertEqual(ColorDepth.indexed256.number(for: red), 196)
        XCTAssertEqual(ColorDepth.indexed256.number(for: .indexed(42)), 42)
        XCTAssertEqual(ColorDepth.indexed16.number(for: red), 9)
        XCTAssertEqual(ColorDepth.indexed16.number(for: .indexed(196)), 9)
        XCTAssertEqual(ColorDepth.indexed8.number(for: red), 1)
        XCTAssertEqual(ColorDepth.indexed8.number(for: .indexed(12)), 4, "bright blue on 8 colours is blue")
        for depth in [ColorDepth.direct, .redefinable, .indexed256, .indexed16, .indexed8, .monochrome] {
            XCTAssertEqual(depth.number(for: .default), -1)
        }
        XCTAssertEqual(ColorDepth.monochrome.number(for: red), -1)
    }
}
