import Foundation
import Logging
import PostgresNIO

/// `fathom bench accounts`: classification of many accounts, cached against stored permission lookups, and a sync
/// of a real PostgreSQL server with thousands of roles and grants (the issue's speed goals).
public enum AccountsBenchmark {
    public static func run(
        services: AppServices, accounts count: Int, rules ruleCount: Int, roles: Int, grantsPerRole: Int, sync: Bool,
        say: @Sendable (String) -> Void
    ) async throws {
        let classifier = services.classification
        let seedStart = ContinuousClock.now
        try await AccountBenchStore.seed(count: count, instances: 100, now: services.clock.millis(), store: services.store)
        say("seeded \(count) accounts in \(format(ContinuousClock.now - seedStart)) s")

        for n in 0..<ruleCount {
            let input = ClassificationService.RuleInput(
                classificationId: Int64(n % 6 + 1), dbType: "postgresql", ruleName: "bench rule \(n)",
                expression: expression(n), isActive: true)
            _ = try await classifier.createRule(input, by: "bench")
        }
        var started = ContinuousClock.now
        let first = try await classifier.autoClassify()
        say("classify \(first.accounts) accounts × \(ruleCount) rules, first run (\(first.added) assignments written): \(format(ContinuousClock.now - started)) s")
        started = ContinuousClock.now
        let second = try await classifier.autoClassify()
        say("classify again, nothing changed (\(second.added) added, \(second.removed) removed): \(format(ContinuousClock.now - started)) s")

        // Permission lookups: the same accounts read from the store every time, then from the warmed cache.
        let sample = try await services.store.read { db in try await AccountBenchStore.sample(limit: 2000, on: db) }
        started = ContinuousClock.now
        for (instance, username) in sample {
            _ = try await services.store.read { db in try await AccountQuery.permissions(instanceId: instance, username: username, on: db) }
        }
        let stored = (ContinuousClock.now - started).seconds / Double(sample.count)
        for (instance, username) in sample { _ = try await services.accounts.permissions(instanceId: instance, username: username) }
        started = ContinuousClock.now
        let rounds = 50
        for _ in 0..<rounds {
            for (instance, username) in sample { _ = try await services.accounts.permissions(instanceId: instance, username: username) }
        }
        let cached = (ContinuousClock.now - started).seconds / Double(sample.count * rounds)
        say(String(format: "permission lookup: store %.1f µs, cache %.2f µs → %.0f× faster", stored * 1e6, cached * 1e6, stored / cached))

        if sync {
            do {
                try await syncBenchmark(services: services, roles: roles, grantsPerRole: grantsPerRole, say: say)
            } catch {
                say("sync benchmark failed: \(String(reflecting: error))")
                throw error
            }
        }
    }

    /// One of a few rule shapes, varied by `n` (nested AND/OR/NOT, scoped privileges).
    static func expression(_ n: Int) -> JSONValue {
        let database: JSONValue = .string("db\(n % 20)")
        let node: JSONValue
        switch n % 5 {
        case 0: node = ["fn": "is_superuser"]
        case 1: node = ["op": "AND", "args": [["fn": "has_capability", "args": ["name": "GRANT_ADMIN"]], ["op": "NOT", "args": [["fn": "is_superuser"]]]]]
        case 2: node = ["fn": "has_privilege", "args": ["name": "INSERT", "scope": "table", "database": database]]
        case 3: node = ["op": "OR", "args": [["fn": "has_role", "args": ["name": "app_write"]], ["fn": "has_privilege", "args": ["name": "CREATE", "scope": "database", "database": database]]]]
        default: node = ["op": "AND", "args": [["fn": "db_type_in", "args": ["db_types": ["postgresql"]]], ["fn": "has_privilege", "args": ["name": "SELECT", "scope": "table"]], ["op": "NOT", "args": [["fn": "has_privilege", "args": ["name": "UPDATE", "scope": "table"]]]]]]
        }
        return ["version": 4, "expr": node]
    }

    /// Creates a local instance, gives it `roles` login roles with `grantsPerRole` table grants each (and some
    /// memberships), then times a first sync and an unchanged second one.
    static func syncBenchmark(services: AppServices, roles: Int, grantsPerRole: Int, say: @Sendable (String) -> Void) async throws {
        let plane = services.controlPlane
        let principal = Principal(
            userId: "u_admin", username: "admin", userRole: .admin, role: .admin, projectId: nil, credential: .token(id: "bench"))
        let project = try await plane.createProject(principal, name: "bench-accounts-\(Int.random(in: 1000...9999))", description: "benchmark", quotas: (10, 1000))
        let loops = services.runner.start()
        defer { Task { await services.runner.stop(loops) } }
        let body = try JSONDecoder().decode(CreateInstanceBody.self, from: Data(#"{"name":"bench-accounts","engine":"postgresql","provider":"local"}"#.utf8))
        let (created, operation, _) = try await plane.createInstance(principal, project: project, body)
        while try await !plane.operation(operation.id, projectId: project.id).state.isFinal { try await Task.sleep(for: .milliseconds(50)) }
        let instance = try await plane.instance(created.id, projectId: project.id)
        let logger = Logger(label: "bench")
        let target = try services.capacity.target(instance)
        let started = ContinuousClock.now
        // A table's ACL lives in one row (no TOAST): about a hundred grantees per table keeps it far below the limit,
        // so the grants are spread over roles × grants / 100 tables, each role on `grantsPerRole` of them.
        let tableCount = max(grantsPerRole, roles * grantsPerRole / 100)
        try await PostgresSession.with(target, timeout: .seconds(600), logger: logger) { connection in
            let setup = """
                DO $$ BEGIN
                  FOR t IN 1..\(tableCount) LOOP EXECUTE format('CREATE TABLE bench_t%s (id int)', t); END LOOP;
                  CREATE ROLE bench_group;
                  FOR i IN 1..\(roles) LOOP
                    EXECUTE format('CREATE ROLE bench_r%s LOGIN', i);
                    EXECUTE format('GRANT SELECT ON %s TO bench_r%s',
                      (SELECT string_agg('bench_t' || ((i * \(grantsPerRole) + k) % \(tableCount) + 1), ', ')
                       FROM generate_series(0, \(grantsPerRole - 1)) k), i);
                    IF i % 10 = 0 THEN EXECUTE format('GRANT bench_group TO bench_r%s', i); END IF;
                  END LOOP;
                END $$
                """
            _ = try await connection.query(PostgresQuery(unsafeSQL: setup), logger: logger)
        }
        say("created \(roles) roles with \(roles * grantsPerRole) table grants in \(format(ContinuousClock.now - started)) s")
        var timer = ContinuousClock.now
        let first = try await services.accountSync.sync(instance, timeout: .seconds(600))
        say("sync \(first.accounts) accounts / \(roles * grantsPerRole) grants, first (\(first.created) created, classified \(first.classified)): \(format(ContinuousClock.now - timer)) s")
        timer = ContinuousClock.now
        let second = try await services.accountSync.sync(instance, timeout: .seconds(600))
        say("sync again, nothing changed (\(second.changes.values.reduce(0, +)) changes): \(format(ContinuousClock.now - timer)) s")
        try await PostgresSession.with(target, timeout: .seconds(600), logger: logger) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM bench_r1, bench_r2, bench_r3"), logger: logger)
        }
        timer = ContinuousClock.now
        let third = try await services.accountSync.sync(instance, timeout: .seconds(600))
        say("sync after 3 revokes (\(third.changes) changes): \(format(ContinuousClock.now - timer)) s")
        let (_, deletion) = try await plane.deleteInstance(principal, project: project, id: created.id)
        while try await !plane.operation(deletion.id, projectId: project.id).state.isFinal { try await Task.sleep(for: .milliseconds(50)) }
    }

    static func format(_ duration: Duration) -> String { String(format: "%.2f", duration.seconds) }
}
