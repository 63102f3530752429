import Foundation

/// The console's languages. Every visible string lives in `Catalogs/<code>.json` under the same keys.
enum Language: String, CaseIterable, Sendable {
    case en, zh

    /// The `lang` cookie when set (the remembered switch), else the best `Accept-Language` match, else English.
    static func negotiate(cookie: String?, acceptLanguage: String?) -> Language {
        if let cookie, let language = Language(rawValue: cookie) { return language }
        var best: (Language, Double)?
        for part in (acceptLanguage ?? "").split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = pieces.first, let language = Language(rawValue: String(tag.prefix(2))) else { continue }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > (best?.1 ?? 0) { best = (language, quality) }
        }
        return best?.0 ?? .en
    }

    /// The `lang` attribute of the page.
    var htmlTag: String { self == .zh ? "zh-CN" : "en" }
}

/// One language's strings, flat keys (`nav_instances`) so templates read them as `{{t.nav_instances}}`.
struct Catalog: Sendable {
    let strings: [String: String]
    /// The same strings as JSON for the page's scripts.
    let json: String

    init(json data: Data) throws {
        strings = try JSONDecoder().decode([String: String].self, from: data)
        json = String(decoding: data, as: UTF8.self)
    }

    subscript(key: String) -> String { strings[key] ?? key }
}
