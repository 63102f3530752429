// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "fathom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fathom", targets: ["fathom"]),
        .library(name: "FathomKit", targets: ["FathomKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Already in the graph through Hummingbird and PostgresNIO; named here for the collectors' HTTP(S) client.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Declarations only, for the store's own SQLite reader connections: the functions are SQLiteNIO's vendored
        // SQLite (already linked), never a second copy of SQLite.
        .target(name: "CFathomSQLite"),
        .target(
            name: "FathomKit",
            dependencies: [
                "CFathomSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The server's child channel and acceptor hooks (connection limit, header timeout).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The console's page templates, catalogs and static files ship inside the binary's bundle.
            resources: [.copy("Console/Templates"), .copy("Console/Static"), .copy("Console/Catalogs")]
        ),
        .executableTarget(
            name: "fathom",
            dependencies: [
                "FathomKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "FathomKitTests",
            dependencies: [
                "FathomKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // The Proxmox VE fixture server speaks HTTPS, as the real API does.
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ],
            // The vCenter simulator's Go source, built by the collectors' tests (see vcsim/build.sh).
            exclude: ["Collectors/vcsim"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
