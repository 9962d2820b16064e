/// A set that keeps its first member inline and only then allocates: an inventory holds
/// one per endpoint and field, and most endpoints have one peer, one port, one role.
public struct SmallSet<Element: Hashable & Sendable>: Sendable, Sequence {
    @usableFromInline var first: Element?
    @usableFromInline var rest: Set<Element> = []

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

extension SmallSet {
    /// Calls `body` with each member, in the order `areInIncreasingOrder` gives. One member, as
    /// most endpoints have, goes to `body` as it is: `sorted()` made two arrays for it and,
    /// called from another module, looked up the generic types at run time (the inventory's
    /// writer spent 64 000 instructions an endpoint, most of them there).
    @inlinable
    public func forEachSorted(by areInIncreasingOrder: (Element, Element) -> Bool, _ body: (Element) throws -> Void) rethrows {
        guard let first else { return }
        guard !rest.isEmpty else { return try body(first) }
        var members = Array(rest)
        members.append(first)
        members.sort(by: areInIncreasingOrder)
        for member in members { try body(member) }
    }
}

extension SmallSet where Element: Comparable {
    /// Calls `body` with each member in increasing order (see `forEachSorted(by:_:)`).
    @inlinable
    public func forEachSorted(_ body: (Element) throws -> Void) rethrows {
        try forEachSorted(by: <, body)
    }
}

/// Counts per key, the first key inline (see `SmallSet`). Iterates as `(key:value:)`
/// pairs, like a dictionary.
public struct SmallCounts<Key: Hashable & Sendable>: Sendable, Sequence {
    @usableFromInline var first: Key?
    @usableFromInline var firstCount = 0
    @usableFromInline var rest: [Key: Int] = [:]

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

    /// Calls `body` with each key, in the order iterating gives them (the first, then the rest).
    @inlinable
    public func forEachKey(_ body: (Key) throws -> Void) rethrows {
        guard let first else { return }
        try body(first)
        for key in rest.keys { try body(key) }
    }

    /// Calls `body` with each key and its count, keys in the order `areInIncreasingOrder`
    /// gives; one key goes to `body` as it is (see `SmallSet.forEachSorted`).
    @inlinable
    public func forEachSorted(by areInIncreasingOrder: (Key, Key) -> Bool, _ body: (Key, Int) throws -> Void) rethrows {
        guard let first else { return }
        guard !rest.isEmpty else { return try body(first, firstCount) }
        var pairs = rest.map { (key: $0.key, value: $0.value) }
        pairs.append((key: first, value: firstCount))
        pairs.sort { areInIncreasingOrder($0.key, $1.key) }
        for pair in pairs { try body(pair.key, pair.value) }
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
