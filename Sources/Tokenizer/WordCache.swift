/// Pre-token bytes -> token ids, an open-addressing hash table over two arenas, so a word seen
/// before costs one hash, one probe and one compare, and no allocation.
final class WordCache {
    private struct Slot {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1   // -1: empty
        var keyLength: Int32 = 0
        var idStart: Int32 = 0
        var idCount: Int32 = 0
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private(set) var count = 0
    private var keys: UnsafeMutablePointer<UInt8>
    private var keyCapacity: Int
    private var keyUsed = 0
    private(set) var ids: UnsafeMutablePointer<Int32>
    private var idCapacity: Int
    private var idUsed = 0
    /// Past this many key bytes the cache starts over (bounds memory on huge, varied corpora).
    private let maxKeyBytes = 1 << 28

    init(capacity: Int = 1 << 14) {
        mask = capacity - 1
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(), count: capacity)
        keyCapacity = 1 << 16
        keys = .allocate(capacity: keyCapacity)
        idCapacity = 1 << 14
        ids = .allocate(capacity: idCapacity)
    }

    deinit {
        slots.deallocate()
        keys.deallocate()
        ids.deallocate()
    }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for k in 0..<n { h = (h ^ UInt64(p[k])) &* 0x100000001b3 }
        return h ^ (h >> 29)
    }

    /// The ids cached for a word: (start in `ids`, count), or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> (Int, Int)? {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[i]
            if slot.keyStart < 0 { return nil }
            if slot.hash == h && Int(slot.keyLength) == n && memoryEqual(keys + Int(slot.keyStart), p, n) {
                return (Int(slot.idStart), Int(slot.idCount))
            }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for k in 0..<n where a[k] != b[k] { return false }
        return true
    }

    func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, ids newIds: [Int32]) {
        if keyUsed + n > maxKeyBytes { clear() }
        if (count + 1) * 2 > mask + 1 { grow() }
        while keyUsed + n > keyCapacity { keys = Self.enlarge(keys, used: keyUsed, capacity: &keyCapacity) }
        while idUsed + newIds.count > idCapacity { ids = Self.enlarge(ids, used: idUsed, capacity: &idCapacity) }
        (keys + keyUsed).update(from: p, count: n)
        for (k, id) in newIds.enumerated() { ids[idUsed + k] = id }
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i].keyStart >= 0 { i = (i + 1) & mask }
        slots[i] = Slot(hash: h, keyStart: Int32(keyUsed), keyLength: Int32(n),
                        idStart: Int32(idUsed), idCount: Int32(newIds.count))
        keyUsed += n
        idUsed += newIds.count
        count += 1
    }

    private static func enlarge<T>(_ old: UnsafeMutablePointer<T>, used: Int, capacity: inout Int) -> UnsafeMutablePointer<T> {
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: old, count: used)
        old.deallocate()
        capacity *= 2
        return bigger
    }

    private func grow() {
        let oldSlots = slots, oldCapacity = mask + 1
        let capacity = oldCapacity * 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(), count: capacity)
        mask = capacity - 1
        for j in 0..<oldCapacity where oldSlots[j].keyStart >= 0 {
            var i = Int(truncatingIfNeeded: oldSlots[j].hash) & mask
            while slots[i].keyStart >= 0 { i = (i + 1) & mask }
            slots[i] = oldSlots[j]
        }
        oldSlots.deallocate()
    }

    func clear() {
        slots.update(repeating: Slot(), count: mask + 1)
        count = 0
        keyUsed = 0
        idUsed = 0
    }
}
