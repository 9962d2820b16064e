/// A set that keeps its first member inline and only then allocates: an inventory holds
/// one per endpoint and field, and most endpoints have one peer, one port, one role.
public struct SmallSet<Element: Hashable & Sendable>: Sendable, Sequence {
    private var first: Element?
    private var rest: Set<Element> = []

    public init() {}

    public var count: Int { (first == nil ? 0 : 1) + rest.count }
    public var isEmpty: Bool { first == nil }

    public func contains(_ element: Element) -> Bool { first == element || rest.contains(element) }

    public mutating func insert(_ element: Element) {
        if first == nil { first = element; return }
        if first != element { rest.insert(element) }
    }

    public func makeIterator() -> IndexingIterator<[Element]> {
        ((first.map { [$0] } ?? []) + rest).makeIterator()
    }
}

/// Counts per key, the first key inline (see `SmallSet`). Iterates as `(key:value:)`
/// pairs, like a dictionary.
public struct SmallCounts<Key: Hashable & Sendable>: Sendable, Sequence {
    private var first: Key?
    private var firstCount = 0
    private var rest: [Key: Int] = [:]

    public init() {}

    public var count: Int { (first == nil ? 0 : 1) + rest.count }
    public var isEmpty: Bool { first == nil }
    public var keys: [Key] { map(\.key) }

    public subscript(key: Key) -> Int? { first == key ? firstCount : rest[key] }

    public mutating func add(_ key: Key, _ amount: Int = 1) {
        if first == nil {
            first = key
            firstCount = amount
        } else if first == key {
            firstCount += amount
        } else {
            rest[key, default: 0] += amount
        }
    }

    public func makeIterator() -> IndexingIterator<[(key: Key, value: Int)]> {
        ((first.map { [(key: $0, value: firstCount)] } ?? []) + rest.map { (key: $0.key, value: $0.value) }).makeIterator()
    }
}

/// A list that keeps its first element inline and only then allocates (see `SmallSet`).
public struct SmallList<Element: Sendable>: Sendable, RandomAccessCollection, MutableCollection {
    private var first: Element?
    private var rest: [Element] = []

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { first == nil ? 0 : 1 + rest.count }

    public subscript(index: Int) -> Element {
        get { index == 0 ? first! : rest[index - 1] }
        _modify {
            if index == 0 { yield &first! } else { yield &rest[index - 1] }
        }
    }

    public mutating func append(_ element: Element) {
        if first == nil { first = element } else { rest.append(element) }
    }
}
