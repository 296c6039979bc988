import CNcursesw
import Foundation
import XCTest

/// A real pseudo-terminal for off-screen screen tests: the screen under test gets the slave
/// side (as FILE streams); the test reads what it wrote, and types keys, on the master side.
final class PseudoTerminal {
    let master: Int32
    let slave: Int32
    /// The slave side's device path (/dev/pts/N).
    let path: String
    let output: UnsafeMutablePointer<FILE>
    let input: UnsafeMutablePointer<FILE>

    init(columns: Int, rows: Int) throws {
        master = posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            throw XCTSkip("no pseudo-terminals here (posix_openpt failed)")
        }
        path = String(cString: name)
        slave = open(name, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw XCTSkip("cannot open the pseudo-terminal \(String(cString: name))") }
        output = fdopen(slave, "w")!
        input = fdopen(dup(slave), "r")!
        resize(columns: columns, rows: rows)
    }

    deinit {
        fclose(output)
        fclose(input)
        close(master)
    }

    func resize(columns: Int, rows: Int) {
        _ = mt_set_window_size(slave, UInt16(rows), UInt16(columns))
    }

    /// Everything written to the terminal until it has been quiet for `quietMilliseconds`.
    func drain(quietMilliseconds: Int32 = 60) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while poll(&descriptor, 1, quietMilliseconds) > 0 {
            let count = read(master, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0 ..< count]
        }
        return bytes
    }

    /// Types `bytes` at the keyboard.
    func type(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Runs `child` in a forked process (it must end the process itself) and collects what it
    /// writes here until it ends, showing it to `watch` as it comes; returns its wait status.
    /// A child still running after 20 s is killed and fails the test.
    func runChild(watch: ([UInt8]) -> Void = { _ in }, _ child: () -> Never) -> (status: Int32, written: [UInt8]) {
        fflush(nil)
        let pid = fork()
        if pid == 0 { child() }
        XCTAssertGreaterThan(pid, 0, "fork failed")
        var written: [UInt8] = []
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(20)
        while waitpid(pid, &status, WNOHANG) == 0 {
            written += drain(quietMilliseconds: 20)
            watch(written)
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                XCTFail("the child did not end")
                break
            }
        }
        return (status, written + drain())
    }

    /// The terminal's line discipline flags now (ICANON, ECHO: cooked or not).
    var localFlags: tcflag_t {
        var settings = termios()
        tcgetattr(slave, &settings)
        return settings.c_lflag
    }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }

    func contains(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return (0 ... count - needle.count).contains { self[$0 ..< $0 + needle.count].elementsEqual(needle) }
    }
}
