// swift-tools-version: 6.2
// Micro-benchmarks of the packet path with ordo-one/benchmark: the frame decoder, the hello
// parsers, the flow table and the whole tracker, with throughput and heap allocations per
// operation. A package of its own, so the main build and CI do not build the benchmark
// framework. Run with scripts/bench-swift.sh (or `swift package benchmark` in this folder).
import PackageDescription

let package = Package(
    name: "HelloScopeBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "HelloScope", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HelloScopeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HelloWire", package: "HelloScope"),
                .product(name: "HelloFlows", package: "HelloScope"),
                .product(name: "HelloCapture", package: "HelloScope"),
            ],
            path: "Benchmarks/HelloScopeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
