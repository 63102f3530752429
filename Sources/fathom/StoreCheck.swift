import ArgumentParser
import FathomKit
import Foundation

/// `fathom store check`: the invariants a settled store must hold (see `StoreInvariants`), run with every
/// `fathom serve` of the store stopped; exits 1 when any is broken.
struct StoreCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the store's invariants (run with the servers stopped): finished operations, settled instances, local servers, jobs run once, slots fired once, integrity.")

    @Flag(help: "Print the results as JSON.") var json = false
    @Flag(help: "Skip comparing the local provider's running PostgreSQL servers with the instance rows.") var skipServers = false
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let results = try await store.withServices { services in
            try await StoreInvariants(store: services.store, dataDir: skipServers ? nil : services.configuration.dataDir).check()
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            say(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            for result in results {
                say("\(result.passed ? "ok  " : "FAIL") \(result.name): \(result.summary)")
                for violation in result.violations.prefix(50) { say("       \(violation)") }
                if result.violations.count > 50 { say("       … and \(result.violations.count - 50) more") }
            }
        }
        let failed = results.filter { !$0.passed }
        if !json { say(failed.isEmpty ? "All \(results.count) checks passed" : "\(failed.count) of \(results.count) checks failed") }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
