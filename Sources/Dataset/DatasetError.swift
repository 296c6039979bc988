import Foundation

/// Why data could not be loaded or batched. The message names the file and what is wrong.
public struct DatasetError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
