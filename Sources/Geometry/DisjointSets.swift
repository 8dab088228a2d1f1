// N elements.

/// Union-find over N elements with path halving: connected components of a mesh's triangles.
struct DisjointSets {
    private var parent: [Int]  // (N)

    init(count: Int) { parent = Array(0..<count) }

    /// The representative of i's set.
    mutating func find(_ i: Int) -> Int {
        var i = i
        while parent[i] != i {
            parent[i] = parent[parent[i]]
            i = parent[i]
        }
        return i
    }

    /// Joins j's set to i's (i's representative stays).
    mutating func union(_ i: Int, _ j: Int) {
        let root = find(i)
        parent[find(j)] = root
    }
}
