import Foundation
import Telemetry

/// A text file read as it grows, line by line, like `tail -F`: a file that shrinks (truncated)
/// or whose path now names another file (replaced, e.g. by a new `> log`) is read again from its
/// start; a missing file is waited for. An unfinished last line waits for its newline (or the end).
final class LogFileTail {
    enum Change: Equatable { case none, truncated, replaced }

    let path: String
    private var fd: Int32 = -1
    private var identity: (device: UInt64, inode: UInt64)?
    private var offset: Int64 = 0
    private var splitter = LineSplitter(maxLength: LogFileTail.maxLineLength)
    /// Lines longer than this are dropped (counted in `overlong`).
    static let maxLineLength = 1 << 20
    private(set) var overlong = 0

    init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    /// The complete lines written since the last call, and whether the file started over first.
    func read() -> (lines: [String], change: Change) {
        var change = Change.none
        var now = stat()
        guard stat(path, &now) == 0 else { return ([], .none) }
        let current = (UInt64(now.st_dev), UInt64(now.st_ino))
        if let known = identity, known != current {
            change = .replaced
            reopen()
        } else if fd >= 0, Int64(now.st_size) < offset {
            change = .truncated
            reopen()
        }
        if fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return ([], change) }
            identity = current
        }
        var lines: [String] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard count > 0 else { break }
            offset += Int64(count)
            lines += take(splitter.append(chunk[0 ..< count]))
        }
        return (lines, change)
    }

    /// The unfinished last line, as a line: the input is over.
    func finish() -> [String] { take(splitter.finish()) }

    private func reopen() {
        if fd >= 0 { close(fd) }
        fd = -1
        identity = nil
        offset = 0
        splitter = LineSplitter(maxLength: Self.maxLineLength)
    }

    private func take(_ pieces: [LineSplitter.Piece]) -> [String] {
        pieces.compactMap { piece in
            switch piece {
            case .line(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .overlong:
                overlong += 1
                return nil
            }
        }
    }
}
