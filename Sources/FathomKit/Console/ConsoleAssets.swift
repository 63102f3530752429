import Foundation
import Mustache
import NIOCore

/// The console's resource files (templates, catalogs, static files), read once from the bundle at start: a page
/// render then costs a template walk and no disk access.
struct ConsoleAssets: Sendable {
    let templates: MustacheLibrary
    let catalogs: [Language: Catalog]
    let files: [String: StaticFile]

    /// A file under `/assets/`, with its content type.
    struct StaticFile: Sendable {
        var contentType: String
        var body: ByteBuffer
    }

    static func load() throws -> ConsoleAssets {
        guard let root = Bundle.module.resourceURL else { throw ConsoleAssetError("console resources are missing") }
        var library = MustacheLibrary()
        for (name, text) in try texts(in: root.appendingPathComponent("Templates"), extension: "mustache") {
            try library.register(text, named: name)
        }
        var catalogs: [Language: Catalog] = [:]
        for language in Language.allCases {
            let url = root.appendingPathComponent("Catalogs/\(language.rawValue).json")
            catalogs[language] = try Catalog(json: Data(contentsOf: url))
        }
        var files: [String: StaticFile] = [:]
        for (ext, type) in [("js", "text/javascript; charset=utf-8"), ("css", "text/css; charset=utf-8")] {
            for (name, text) in try texts(in: root.appendingPathComponent("Static"), extension: ext) {
                files["\(name).\(ext)"] = StaticFile(contentType: type, body: ByteBuffer(string: text))
            }
        }
        return ConsoleAssets(templates: library, catalogs: catalogs, files: files)
    }

    private static func texts(in directory: URL, extension ext: String) throws -> [(String, String)] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix("." + ext) }.map { file in
            (String(file.dropLast(ext.count + 1)), try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8))
        }
    }
}

struct ConsoleAssetError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
