import FathomKit
import Foundation
import Testing

/// The conventions that let a reader go from a path to its code in one step (`fathom routes`).
@Suite(.timeLimit(.minutes(5))) struct RouteConventionTests {
    /// The package root, from this file's location (Tests/FathomKitTests/Platform/…).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyRouteNamesTheLineThatDeclaresItsPath() async throws {
        try await Harness.with(.sqlite) { harness in
            let (_, table) = buildRouter(services: harness.services)
            #expect(!table.all.isEmpty)
            for spec in table.all {
                let file = Self.packageRoot.appendingPathComponent(spec.sourceFile)
                let lines = (try? String(contentsOf: file, encoding: .utf8))?.components(separatedBy: "\n")
                guard let lines, spec.line >= 1, spec.line <= lines.count else {
                    Issue.record("\(spec.method) \(spec.path): no source location (\(spec.location))")
                    continue
                }
                // The row may wrap: the path literal is on the recorded line or the one after it.
                let row = lines[(spec.line - 1)...min(spec.line, lines.count - 1)].joined(separator: " ")
                #expect(row.contains("\"\(spec.path)\""), "\(spec.method) \(spec.path) is not written whole at \(spec.location)")
            }
        }
    }

    @Test func pathParametersFollowTheNamingRule() async throws {
        try await Harness.with(.sqlite) { harness in
            let (_, table) = buildRouter(services: harness.services)
            let rule = try Regex(RouteSpec.parameterNamePattern)
            for spec in table.all {
                for name in spec.pathParameters {
                    #expect(name.wholeMatch(of: rule) != nil, "\(spec.path): parameter {\(name)} breaks the naming rule")
                }
                if case .project = spec.access {
                    #expect(spec.pathParameters.first == "project_id", "\(spec.path): project routes start with {project_id}")
                }
            }
        }
    }

    @Test func theNamingRuleRefusesOtherNames() throws {
        let rule = try Regex(RouteSpec.parameterNamePattern)
        for bad in ["id", "pid", "userId", "tokenId", "bid", "uid", "name", "Project_id", "project-id"] {
            #expect(bad.wholeMatch(of: rule) == nil, "\(bad) should break the rule")
        }
        for good in ["project_id", "db_user_id", "schedule_name", "asset_uuid", "run_id"] {
            #expect(good.wholeMatch(of: rule) != nil, "\(good) should follow the rule")
        }
    }

    @Test func migrationsAreNumberedOnceAndInOrder() {
        let versions = Migrations.all.map(\.version)
        #expect(versions == Array(1...versions.count))
    }
}
