import ArgumentParser
import FathomKit
import Foundation

/// `fathom collector vcenter < request.json`: runs a built-in collector the way the ledger runs a plugin — one
/// `collector-request-v1` document on stdin, one `collector-response-v1` document on stdout.
struct CollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector",
        abstract: "Run a built-in collector: request JSON on stdin, response JSON on stdout (exit 1 when it reports errors).")

    @Argument(help: "The source type: \(BuiltInCollectorCommand.types.joined(separator: ", ")).")
    var type: String

    func run() async throws {
        let request = FileHandle.standardInput.readDataToEndOfFile()
        let (response, failed) = await BuiltInCollectorCommand.respond(type: type, request: request)
        FileHandle.standardOutput.write(response + Data("\n".utf8))
        if failed { throw ExitCode(1) }
    }
}
