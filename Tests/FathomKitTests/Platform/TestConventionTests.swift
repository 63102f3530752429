import Foundation
import Testing

/// Rules the suite keeps about itself: a hung test must fail on its own (every suite carries a time limit), and
/// CI, which requires PostgreSQL, must fail when it is missing rather than skip its tests.
@Suite(.timeLimit(.minutes(1))) struct TestConventionTests {
    static let testsRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

    static func sources() -> [(String, String)] {
        let enumerator = FileManager.default.enumerator(atPath: testsRoot)
        var files: [(String, String)] = []
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift"), let text = try? String(contentsOfFile: testsRoot + "/" + path, encoding: .utf8) else { continue }
            files.append((path, text))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test func everySuiteHasATimeLimit() {
        // Spelled in pieces so this file's own text does not count as an attribute.
        let suite = "@" + "Suite", test = "@" + "Test"
        for (path, text) in Self.sources() {
            if text.contains(test) { #expect(text.contains(suite), "\(path) has tests outside a suite attribute (which carries the time limit)") }
            // The attribute runs from the suite token to the declaration it annotates.
            var rest = Substring(text)
            while let start = rest.range(of: suite) {
                let after = rest[start.upperBound...]
                let end = after.range(of: #"\b(struct|final class|class|enum)\s"#, options: .regularExpression)?.lowerBound ?? after.endIndex
                let attribute = rest[start.lowerBound..<end]
                #expect(attribute.contains(".timeLimit("), "\(path): \(attribute.prefix(120)) has no .timeLimit")
                rest = after[end...]
            }
        }
    }

    @Test(.enabled(if: Backends.requirePostgres)) func postgresIsInstalledWhenRequired() {
        #expect(TestPostgres.binDirectory != nil, "FATHOM_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found")
    }
}
