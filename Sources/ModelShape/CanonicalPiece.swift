/// `count` elements at `local` in a rank's buffer are elements `full` of the model's flat layout.
public struct CanonicalPiece: Equatable, Sendable {
    public let local: Int
    public let full: Range<Int>
    public init(local: Int, full: Range<Int>) {
        self.local = local
        self.full = full
    }
}
