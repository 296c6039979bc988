import Foundation

/// The data shipped with meshtop (tinyshakespeare and its tokenizer): `$MESHTOP_DATA_DIR`, else
/// `data/` found above the executable (a build tree) or `share/meshtop/data` beside it (an install).
public enum ShippedData {
    /// The corpus and tokenizer a run trains with when none is given.
    public static let corpus = "tinyshakespeare.txt"
    public static let tokenizer = "tokenizer.json"

    public static func path(_ name: String) throws -> String {
        for folder in candidates() {
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw DataNotFound(name: name, searched: candidates().map(\.path))
    }

    static func candidates() -> [URL] {
        var folders: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["MESHTOP_DATA_DIR"] { folders.append(URL(fileURLWithPath: dir)) }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        folders.append(url.appendingPathComponent("../share/meshtop/data").standardized)
        while url.path != "/" {
            folders.append(url.appendingPathComponent("data"))
            url.deleteLastPathComponent()
        }
        return folders
    }

    struct DataNotFound: Error, CustomStringConvertible {
        let name: String
        let searched: [String]
        var description: String {
            "the shipped \(name) was not found (set MESHTOP_DATA_DIR); searched \(searched.prefix(4).joined(separator: ", "))"
        }
    }
}
