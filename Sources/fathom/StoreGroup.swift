import ArgumentParser

/// `fathom store …`: commands on Fathom's own store.
struct StoreGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Check Fathom's own store.", subcommands: [StoreCheck.self])
}
