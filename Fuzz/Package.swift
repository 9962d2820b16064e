// swift-tools-version: 6.2
// libFuzzer entry points, kept in their own package: an executable target without a main
// only links under --sanitize=fuzzer, so the main package's ordinary build must not see it.
// Build and run them with scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "HelloScopeFuzz",
    dependencies: [.package(name: "HelloScope", path: "..")],
    targets: [
        .executableTarget(name: "FuzzFrame", dependencies: [.product(name: "HelloFuzzing", package: "HelloScope")]),
        .executableTarget(name: "FuzzHello", dependencies: [.product(name: "HelloFuzzing", package: "HelloScope")]),
        .executableTarget(name: "FuzzFlows", dependencies: [.product(name: "HelloFuzzing", package: "HelloScope")]),
    ],
    swiftLanguageModes: [.v6]
)
