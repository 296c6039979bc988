import Foundation

/// Why a tokenizer file could not be used. The message names the file and what is wrong with it.
public struct TokenizerError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
