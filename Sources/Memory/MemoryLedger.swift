#if canImport(Glibc)
import Glibc
#endif
// MemoryCategory is RunSpec's (the dashboard reads it without this module); importers see it here.
@_exported import RunSpec

/// Every long-lived buffer of a rank is allocated here, once, before the first step, so the
/// bytes of each category are exact rather than estimated. Buffers live as long as the ledger.
public final class MemoryLedger {
    public struct Entry: Sendable {
        public let label: String
        public let category: MemoryCategory
        public let bytes: Int
    }

    public private(set) var entries: [Entry] = []
    private var allocations: [UnsafeMutableRawPointer] = []

    /// Cache-line (and AVX-512) alignment for every buffer.
    public static let alignment = 64

    public init() {}

    deinit { allocations.forEach { free($0) } }

    /// A zero-filled buffer of `count` elements, counted under `category`.
    public func allocate<T>(_ type: T.Type = T.self, count: Int, category: MemoryCategory,
                            label: String) -> UnsafeMutableBufferPointer<T> {
        precondition(count >= 0, "negative allocation for \(label)")
        let bytes = max(count * MemoryLayout<T>.stride, 1)
        let rounded = (bytes + Self.alignment - 1) / Self.alignment * Self.alignment
        guard let raw = aligned_alloc(Self.alignment, rounded) else {
            fatalError("out of memory allocating \(rounded) bytes for \(label)")
        }
        memset(raw, 0, rounded)
        allocations.append(raw)
        entries.append(Entry(label: label, category: category, bytes: count * MemoryLayout<T>.stride))
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
    }

    public func bytes(_ category: MemoryCategory) -> Int {
        entries.lazy.filter { $0.category == category }.reduce(0) { $0 + $1.bytes }
    }

    public var totalBytes: Int { entries.reduce(0) { $0 + $1.bytes } }

    /// Bytes of every category, including those with none.
    public var byCategory: [MemoryCategory: Int] {
        Dictionary(uniqueKeysWithValues: MemoryCategory.allCases.map { ($0, bytes($0)) })
    }
}

/// The process's resident memory as the kernel counts it (/proc/self/status).
public struct ResidentMemory: Equatable, Sendable {
    /// VmRSS: resident now.
    public let currentBytes: Int
    /// VmHWM: the highest resident so far.
    public let peakBytes: Int

    public static func read() -> ResidentMemory? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var current: Int?, peak: Int?
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = string(fromCBuffer: line)
            if text.hasPrefix("VmRSS:") { current = kilobytes(text) }
            if text.hasPrefix("VmHWM:") { peak = kilobytes(text) }
        }
        guard let current, let peak else { return nil }
        return ResidentMemory(currentBytes: current * 1024, peakBytes: peak * 1024)
    }

    /// "VmRSS:     123456 kB" -> 123456
    private static func kilobytes(_ line: String) -> Int? {
        Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Total physical memory of the machine (for torchtitan's memory percentage).
    public static func physicalBytes() -> Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
