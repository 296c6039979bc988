import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one event file, as torch.utils.tensorboard (torchtitan's writer) does: the file named
/// `events.out.tfevents.<10-digit Unix seconds>.<host>.<pid>.<n>` (tensorboard's
/// `EventFileWriter`; n counts the files this process opened), its first record the file_version
/// event "brain.Event:2". Each record goes out framed whole in one write(2), unbuffered, so a
/// reader following the file sees whole records, or a torn tail only if the write itself fails.
/// The file grows in place (a temporary file renamed at the end would hide a live run from
/// TensorBoard, which reads event files as they grow).
public final class EventFileWriter {
    public let path: String
    private var descriptor: Int32

    /// Creates `folder` (and its parents) if need be, and a new event file in it.
    public init(folder: String, writer: String = "meshtop", now: Double = Date().timeIntervalSince1970) throws {
        try Self.makeFolder(folder)
        while true {
            let name = Self.fileName(seconds: now, host: Self.hostName, pid: getpid(), count: Self.counter.next())
            let candidate = (folder as NSString).appendingPathComponent(name)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 {
                path = candidate
                descriptor = fd
                break
            }
            guard errno == EEXIST else {
                throw EventFileError("\(candidate): cannot create it (\(String(cString: strerror(errno)).lowercased()))")
            }
        }
        try write(Event(wallTime: now, fileVersion: Event.fileVersion2, sourceWriter: writer))
    }

    deinit { if descriptor >= 0 { _ = systemClose(descriptor) } }

    public func write(_ event: Event) throws {
        let frame = TFRecord.frame(event.encoded())
        try frame.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = systemWrite(descriptor, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw EventFileError("\(path): cannot write (\(String(cString: strerror(errno)).lowercased()))") }
                done += n
            }
        }
    }

    /// Synced to the disk and closed.
    public func close() throws {
        guard descriptor >= 0 else { return }
        defer { descriptor = -1 }
        let synced = fsync(descriptor) == 0 || errno == EINVAL
        let failure = synced ? nil : String(cString: strerror(errno)).lowercased()
        _ = systemClose(descriptor)
        if let failure { throw EventFileError("\(path): cannot sync (\(failure))") }
    }

    /// `mkdir -p`, failing in one line that names the folder.
    static func makeFolder(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw EventFileError("\(path): is a file, expected a folder") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeFolder(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw EventFileError("\(path): cannot make the folder (\(String(cString: strerror(errno)).lowercased()))")
        }
    }

    /// tensorboard's `"events.out.tfevents.%010d.%s.%s.%s" % (time, host, pid, uid)`.
    public static func fileName(seconds: Double, host: String, pid: Int32, count: Int) -> String {
        "events.out.tfevents.\(String(format: "%010d", Int(seconds))).\(host).\(pid).\(count)"
    }

    /// The host's name as Python's `socket.gethostname()` gives it.
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }()

    private static let counter = FileCounter()
}

/// A write that failed, naming the file.
public struct EventFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

private final class FileCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock(); defer { lock.unlock() }
        defer { value += 1 }
        return value
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
private let systemClose = Glibc.close
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
private let systemClose = Darwin.close
#endif
