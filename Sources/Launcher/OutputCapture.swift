import Foundation
import Synchronization
import Telemetry

/// Where mpirun's stdout and stderr go.
public enum OutputMode: Sendable {
    /// To this process's own outputs (what `meshtop run` has always done).
    case inherit
    /// Line by line to a callback, `(line, isStderr)`, never two calls at once. A line's
    /// trailing "\r" (a rank writing to a terminal) is dropped; partial lines are delivered at
    /// the end of the stream.
    case lines(@Sendable (String, Bool) -> Void)
}

/// Reads mpirun's two pipes on two threads and hands complete lines to the callback; keeps the
/// last stderr lines for failure reports.
final class OutputCapture: Sendable {
    static let keptErrorLines = 8
    /// A line longer than this is cut (mpirun's lines are short; a runaway one must not grow memory).
    static let maxLineLength = 64 << 10

    let stdout = Pipe()
    let stderr = Pipe()
    private let handler: @Sendable (String, Bool) -> Void
    /// The last stderr lines; held while the handler runs, so it is never called twice at once.
    private let recent = Mutex<[String]>([])
    private let finished = DispatchGroup()

    init(handler: @escaping @Sendable (String, Bool) -> Void) {
        self.handler = handler
    }

    /// Starts the readers; call after the process was started (its ends of the pipes are open).
    func start() {
        for (pipe, isStderr) in [(stdout, false), (stderr, true)] {
            finished.enter()
            let handle = pipe.fileHandleForReading
            let thread = Thread { [self] in
                defer { finished.leave() }
                read(handle, isStderr: isStderr)
            }
            thread.name = isStderr ? "meshtop.mpirun.stderr" : "meshtop.mpirun.stdout"
            thread.start()
        }
    }

    /// Waits (at most `timeout` s) for both streams to end: every line is delivered when it returns true.
    @discardableResult
    func wait(timeout: Double) -> Bool { finished.wait(timeout: .now() + timeout) == .success }

    /// The last stderr lines, oldest first.
    var lastErrorLines: [String] { recent.withLock { $0 } }

    private func read(_ handle: FileHandle, isStderr: Bool) {
        var splitter = LineSplitter(maxLength: Self.maxLineLength)
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        let fd = handle.fileDescriptor
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            deliver(splitter.append(buffer[0..<n]), isStderr: isStderr)
        }
        deliver(splitter.finish(), isStderr: isStderr)
        try? handle.close()
    }

    private func deliver(_ pieces: [LineSplitter.Piece], isStderr: Bool) {
        for piece in pieces {
            let text: String
            switch piece {
            case .line(let bytes):
                var line = String(decoding: bytes, as: UTF8.self)
                if line.hasSuffix("\r") { line.removeLast() }
                text = line
            case .overlong(let bytes):
                text = "[a line of \(bytes) bytes, cut]"
            }
            recent.withLock { recent in
                if isStderr {
                    recent.append(text)
                    if recent.count > Self.keptErrorLines { recent.removeFirst() }
                }
                handler(text, isStderr)
            }
        }
    }
}
