import RunSpec

/// A rank's introduction on its heartbeat connection: who it is, and the launch's token.
public struct HeartbeatHello: Equatable, Sendable {
    public var rank: Int
    public var worldSize: Int
    public var pid: Int32
    public var host: String

    public init(rank: Int, worldSize: Int, pid: Int32, host: String) {
        self.rank = rank
        self.worldSize = worldSize
        self.pid = pid
        self.host = host
    }
}

/// One beat: the rank's activity when it was sent.
public struct Heartbeat: Equatable, Sendable {
    /// 1 for the connection's first beat, then one more per beat.
    public var sequence: Int
    /// The rank's clock (Unix seconds) when it sent the beat.
    public var sentAt: Double
    public var activity: RankActivity

    public init(sequence: Int, sentAt: Double, activity: RankActivity) {
        self.sequence = sequence
        self.sentAt = sentAt
        self.activity = activity
    }
}

/// The heartbeat wire: length-prefixed binary frames, little-endian, fixed fields, so the front
/// end decodes thousands a second for a fraction of a core and rejects anything else exactly
/// (docs/telemetry.md, "Heartbeats"). A frame is `u16 length` then `length` bytes: `u8 type`
/// and the type's fields.
public enum HeartbeatFrame: Equatable, Sendable {
    case hello(HeartbeatHello, token: String)
    case beat(Heartbeat)

    public static let magic: [UInt8] = Array("MTHB".utf8)
    public static let version: UInt8 = 1
    /// No valid frame is longer (a hello with a 255-byte host name is 302 bytes).
    public static let maxLength = 512

    public enum DecodeError: Error, Equatable, Sendable {
        case tooLong(Int)
        case unknownType(UInt8)
        case badMagic
        case badVersion(UInt8)
        /// The fields do not fill the frame exactly, or one is out of range.
        case malformed(String)

        /// A stable short name, for counting.
        public var category: String {
            switch self {
            case .tooLong: "too_long"
            case .unknownType: "unknown_type"
            case .badMagic: "bad_magic"
            case .badVersion: "bad_version"
            case .malformed: "malformed"
            }
        }
    }

    /// The frame with its length prefix.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .hello(hello, token):
            w.u8(1)
            w.bytes(Self.magic)
            w.u8(Self.version)
            w.string(token)
            w.u32(hello.rank); w.u32(hello.worldSize); w.u32(Int(UInt32(bitPattern: hello.pid)))
            w.string(hello.host)
        case .beat(let beat):
            w.u8(2)
            w.u64(beat.sequence)
            w.f64(beat.sentAt)
            let a = beat.activity
            w.u8(a.phase.rawValue)
            w.f64(a.phaseSince)
            w.u32(a.step); w.u32(a.completedSteps)
            a.entered.forEach { w.u64($0) }
            w.u8((a.waitingIn == nil ? 0 : 1) | (a.lastCompleted == nil ? 0 : 2))
            if let call = a.waitingIn { w.call(call) }
            if let call = a.lastCompleted { w.call(call); w.f64(a.lastCompletedAt ?? call.startedAt) }
        }
        var frame = ByteWriter()
        frame.u16(w.data.count)
        return frame.data + w.data
    }

    /// Decodes one frame's body (without its length prefix).
    public static func decode(_ body: ArraySlice<UInt8>) throws(DecodeError) -> HeartbeatFrame {
        guard body.count <= maxLength else { throw .tooLong(body.count) }
        var r = ByteReader(body)
        let type = try r.u8()
        let frame: HeartbeatFrame
        switch type {
        case 1:
            guard try r.bytes(4) == magic else { throw .badMagic }
            let version = try r.u8()
            guard version == Self.version else { throw .badVersion(version) }
            let token = try r.string()
            let rank = try r.u32(), worldSize = try r.u32(), pid = try r.u32()
            let host = try r.string()
            guard worldSize >= 1, rank < worldSize, !host.isEmpty else { throw .malformed("rank \(rank) of \(worldSize), host '\(host)'") }
            frame = .hello(HeartbeatHello(rank: rank, worldSize: worldSize, pid: Int32(bitPattern: UInt32(pid)), host: host), token: token)
        case 2:
            let sequence = try r.u64()
            let sentAt = try r.time()
            guard let phase = RankPhase(rawValue: try r.u8()) else { throw .malformed("phase") }
            var a = RankActivity(phaseSince: try r.time())
            a.phase = phase
            a.step = try r.u32()
            a.completedSteps = try r.u32()
            a.entered = [try r.u64(), try r.u64(), try r.u64()]
            let flags = try r.u8()
            guard flags & ~3 == 0 else { throw .malformed("flags \(flags)") }
            if flags & 1 != 0 { a.waitingIn = try r.call() }
            if flags & 2 != 0 { a.lastCompleted = try r.call(); a.lastCompletedAt = try r.time() }
            frame = .beat(Heartbeat(sequence: sequence, sentAt: sentAt, activity: a))
        default:
            throw .unknownType(type)
        }
        guard r.atEnd else { throw .malformed("\(r.remaining) byte(s) after the fields") }
        return frame
    }
}

struct ByteWriter {
    var data: [UInt8] = []
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { data += $0 } }
    mutating func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { data += $0 } }
    mutating func u64(_ v: Int) { withUnsafeBytes(of: UInt64(truncatingIfNeeded: v).littleEndian) { data += $0 } }
    mutating func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
    mutating func bytes(_ v: [UInt8]) { data += v }
    /// At most 255 bytes of UTF-8, after a length byte.
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8.prefix(255))
        u8(UInt8(utf8.count))
        data += utf8
    }
    mutating func call(_ c: CollectiveCall) {
        u8(c.operation.rawValue); u8(c.axis.rawValue)
        u32(c.group); u64(c.sequence); u64(c.bytes); f64(c.startedAt)
    }
}

struct ByteReader {
    private let body: ArraySlice<UInt8>
    private var at: Int
    init(_ body: ArraySlice<UInt8>) { self.body = body; at = body.startIndex }

    var atEnd: Bool { at == body.endIndex }
    var remaining: Int { body.endIndex - at }

    mutating func bytes(_ n: Int) throws(HeartbeatFrame.DecodeError) -> [UInt8] {
        guard remaining >= n else { throw .malformed("ends inside a field") }
        defer { at += n }
        return Array(body[at..<at + n])
    }
    /// An n-byte little-endian integer, read in place (thousands of beats a second: no arrays).
    private mutating func little(_ n: Int) throws(HeartbeatFrame.DecodeError) -> UInt64 {
        guard remaining >= n else { throw .malformed("ends inside a field") }
        var value: UInt64 = 0
        for i in stride(from: n - 1, through: 0, by: -1) { value = value << 8 | UInt64(body[at + i]) }
        at += n
        return value
    }
    mutating func u8() throws(HeartbeatFrame.DecodeError) -> UInt8 { UInt8(try little(1)) }
    mutating func u32() throws(HeartbeatFrame.DecodeError) -> Int { Int(try little(4)) }
    /// Counts and byte sizes: a value past Int's range is no count.
    mutating func u64() throws(HeartbeatFrame.DecodeError) -> Int {
        let v = try little(8)
        guard v <= UInt64(Int.max) else { throw .malformed("count \(v)") }
        return Int(v)
    }
    /// A Unix time: finite and not negative.
    mutating func time() throws(HeartbeatFrame.DecodeError) -> Double {
        let v = Double(bitPattern: try little(8))
        guard v.isFinite, v >= 0 else { throw .malformed("time \(v)") }
        return v
    }
    mutating func string() throws(HeartbeatFrame.DecodeError) -> String {
        let n = Int(try u8())
        guard let s = String(validating: try bytes(n), as: UTF8.self) else { throw .malformed("not UTF-8") }
        return s
    }
    mutating func call() throws(HeartbeatFrame.DecodeError) -> CollectiveCall {
        guard let operation = CollectiveOperation(rawValue: try u8()) else { throw .malformed("operation") }
        guard let axis = MeshAxis(rawValue: try u8()) else { throw .malformed("axis") }
        return CollectiveCall(operation: operation, axis: axis, group: try u32(), sequence: try u64(), bytes: try u64(),
                              startedAt: try time())
    }
}
