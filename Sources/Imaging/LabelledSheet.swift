/// A grid of equal square cells under two rows of headings: a first column of its own (the
/// input), then groups of columns with a title over each group and a label over each column, and a
/// name over each row; a gap sets the groups apart. `nerfinv compare` groups by model, `eval` by
/// view.
public struct LabelledSheet {
    public struct Group {
        public var title: String
        public var columns: [String]
        public init(title: String, columns: [String]) {
            self.title = title
            self.columns = columns
        }
    }
    public var firstColumn: String
    public var groups: [Group]
    public var cell: Int
    static let labelHeight = 14
    static let pad = 2
    static let ink: (Float, Float, Float) = (0.35, 0.35, 0.35)

    public init(firstColumn: String, groups: [Group], cell: Int) {
        self.firstColumn = firstColumn
        self.groups = groups
        self.cell = cell
    }

    var columnCount: Int { 1 + groups.reduce(0) { $0 + $1.columns.count } }

    /// Left edge of a column: column 0 is the first column, then the groups' columns in order.
    func x(_ column: Int) -> Int {
        var group = 0, end = 1
        while group < groups.count && column >= end {
            end += groups[group].columns.count
            group += 1
        }
        return Self.pad + column * (cell + Self.pad) + group * 2 * Self.pad
    }

    /// The sheet of `rows` (name, then `columnCount` images each, resized to the cell by the
    /// caller); uppercase headings, as the bitmap font has them.
    public func make(rows: [(name: String, cells: [RGBAImage])]) -> RGBAImage {
        let h = Self.labelHeight, rowHeight = h + cell + Self.pad
        var sheet = RGBAImage(
            width: x(columnCount - 1) + cell + Self.pad, height: 2 * h + rows.count * rowHeight + Self.pad,
            fill: (1, 1, 1, 1))
        Draw.text(&sheet, firstColumn.uppercased(), x(0) + 2, h + 2, Self.ink)
        var column = 1
        for g in groups {
            Draw.text(&sheet, g.title.uppercased(), x(column) + 2, 2, Self.ink)
            for label in g.columns {
                Draw.text(&sheet, label.uppercased(), x(column) + 2, h + 2, Self.ink)
                column += 1
            }
        }
        for (r, row) in rows.enumerated() {
            precondition(row.cells.count == columnCount, "row \(r) has \(row.cells.count) cells, not \(columnCount)")
            let y0 = 2 * h + r * rowHeight
            Draw.text(&sheet, row.name, x(0) + 2, y0 + 2, Self.ink)
            for (k, img) in row.cells.enumerated() {
                for yy in 0..<min(cell, img.height) {
                    for xx in 0..<min(cell, img.width) {
                        for c in 0..<3 { sheet[x(k) + xx, y0 + h + yy, c] = img[xx, yy, c] }
                    }
                }
            }
        }
        return sheet
    }
}
