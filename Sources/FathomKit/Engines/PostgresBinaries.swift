import Foundation
import Synchronization

/// The PostgreSQL server installations on this host, by major version.
public struct PostgresBinaries: Sendable {
    /// Major version → directory holding initdb, pg_ctl, postgres, pg_basebackup, pg_verifybackup, pg_rewind.
    public let directories: [String: String]

    static let required = ["initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_verifybackup", "pg_rewind"]

    /// What this process's own environment finds, looked up once: every `AppServices` asks.
    private static let forThisProcess = search(environment: ProcessInfo.processInfo.environment)

    /// Looks in `FATHOM_PG_BIN`, `/usr/lib/postgresql/*/bin` and `PATH`.
    public static func discover(environment: [String: String] = ProcessInfo.processInfo.environment) -> PostgresBinaries {
        environment == ProcessInfo.processInfo.environment ? forThisProcess : search(environment: environment)
    }

    private static func search(environment: [String: String]) -> PostgresBinaries {
        var candidates: [String] = []
        if let explicit = environment["FATHOM_PG_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted()
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        var found: [String: String] = [:]
        for directory in candidates where required.allSatisfy({ FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)") }) {
            if let major = majorVersion(of: "\(directory)/postgres"), found[major] == nil { found[major] = directory }
        }
        return PostgresBinaries(directories: found)
    }

    /// "postgres (PostgreSQL) 15.18 (Debian …)" → "15".
    static func majorVersion(of postgres: String) -> String? {
        if let known = versions.withLock({ $0[postgres] }) { return known }
        guard let text = Subprocess.runBlocking(postgres, ["--version"])?.output,
            let range = text.range(of: #"\d+(\.\d+)?"#, options: .regularExpression),
            let major = text[range].split(separator: ".").first.map(String.init)
        else { return nil }
        versions.withLock { $0[postgres] = major }
        return major
    }

    /// Versions already asked, by binary path: every provider start discovers the binaries, and a binary's version
    /// does not change while this process runs (a package upgrade restarts it).
    private static let versions = Mutex<[String: String]>([:])

    public func tool(_ name: String, version: String) -> String? { directories[version].map { "\($0)/\(name)" } }
}
