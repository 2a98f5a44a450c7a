using System.Buffers.Binary;

namespace Kpk.Fuzz;

/// <summary>
/// Seeded damage to an ELF64 little-endian object, aimed at the fields a reader trusts: a
/// truncation; a field of the ELF header, of a section header, of a symbol or of a relocation set
/// to a near or extreme value; bytes of a string table; or a run of random bytes anywhere. The
/// layout is found from the original bytes, so every mutation lands on a real field.
/// </summary>
public sealed class ElfMutator(Random random)
{
    public static readonly string[] Kinds = ["truncate", "elf-header", "section-header", "symbol", "relocation", "string-table", "noise"];

    private static readonly (int Offset, int Width)[] HeaderFields =
        [(4, 1), (5, 1), (6, 1), (7, 1), (16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (40, 8), (48, 4), (52, 2), (54, 2), (56, 2), (58, 2), (60, 2), (62, 2)];
    private static readonly (int Offset, int Width)[] SectionFields = [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 4), (44, 4), (48, 8), (56, 8)];
    private static readonly (int Offset, int Width)[] SymbolFields = [(0, 4), (4, 1), (5, 1), (6, 2), (8, 8), (16, 8)];
    private static readonly (int Offset, int Width)[] RelaFields = [(0, 8), (8, 4), (12, 4), (16, 8)];

    /// <summary>A damaged copy and a description of the damage (for reports).</summary>
    public (byte[] Bytes, string What) Mutate(byte[] original)
    {
        var bytes = (byte[])original.Clone();
        string kind = Kinds[random.Next(Kinds.Length)];
        var layout = Layout.Of(original);
        string? what = kind switch
        {
            "truncate" => Truncate(ref bytes),
            "elf-header" => Field(bytes, 0, HeaderFields, "ELF header"),
            "section-header" => layout.Sections.Count == 0 ? null : SectionHeader(bytes, layout),
            "symbol" => Entry(bytes, layout, 2, 24, SymbolFields, "symbol"),
            "relocation" => Entry(bytes, layout, 4, 24, RelaFields, "relocation"),
            "string-table" => StringTable(bytes, layout),
            _ => null,
        };
        return (bytes, what ?? Noise(bytes));
    }

    private string Truncate(ref byte[] bytes)
    {
        int length = random.Next(bytes.Length);
        bytes = bytes[..length];
        return $"truncated to {length} bytes";
    }

    private string SectionHeader(byte[] bytes, Layout layout)
    {
        int index = random.Next(layout.Sections.Count);
        return Field(bytes, layout.Sections[index].HeaderAt, SectionFields, $"section header {index}");
    }

    /// <summary>A field of one entry of a table of sections of <paramref name="type"/> (2 symtab, 4 rela).</summary>
    private string? Entry(byte[] bytes, Layout layout, uint type, int entrySize, (int, int)[] fields, string name)
    {
        var tables = layout.Sections.Where(s => s.Type == type && s.Size >= (ulong)entrySize && s.Offset + s.Size <= (ulong)bytes.Length).ToList();
        if (tables.Count == 0) return null;
        var table = tables[random.Next(tables.Count)];
        int entry = random.Next((int)(table.Size / (ulong)entrySize));
        return Field(bytes, (int)table.Offset + entry * entrySize, fields, $"{name} {entry} of section {table.Index}");
    }

    private string? StringTable(byte[] bytes, Layout layout)
    {
        var tables = layout.Sections.Where(s => s.Type == 3 && s.Size > 0 && s.Offset + s.Size <= (ulong)bytes.Length).ToList();
        if (tables.Count == 0) return null;
        var table = tables[random.Next(tables.Count)];
        int count = 1 + random.Next(4);
        for (int i = 0; i < count; i++)
            bytes[(int)table.Offset + random.Next((int)table.Size)] = random.Next(3) switch { 0 => 0, 1 => (byte)'.', _ => (byte)random.Next(256) };
        return $"{count} bytes of string table {table.Index}";
    }

    private string Noise(byte[] bytes)
    {
        if (bytes.Length == 0) return "empty";
        int at = random.Next(bytes.Length);
        int length = Math.Min(bytes.Length - at, 2 + random.Next(32));
        random.NextBytes(bytes.AsSpan(at, length));
        return $"{length} random bytes at {at}";
    }

    private string Field(byte[] bytes, int baseOffset, (int Offset, int Width)[] fields, string where)
    {
        var (offset, width) = fields[random.Next(fields.Length)];
        int at = baseOffset + offset;
        if (at + width > bytes.Length) return Noise(bytes);
        var span = bytes.AsSpan(at, width);
        ulong old = width switch
        {
            1 => span[0], 2 => BinaryPrimitives.ReadUInt16LittleEndian(span), 4 => BinaryPrimitives.ReadUInt32LittleEndian(span), _ => BinaryPrimitives.ReadUInt64LittleEndian(span),
        };
        ulong value = random.Next(6) switch
        {
            0 => old ^ (1UL << random.Next(width * 8)),
            1 => 0,
            2 => ulong.MaxValue,
            3 => old + (ulong)(random.Next(17) - 8),
            4 => old + (1UL << random.Next(width * 8)),
            _ => (ulong)random.NextInt64(),
        };
        switch (width)
        {
            case 1: span[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(span, value); break;
        }
        return $"{where} field at +{offset}: 0x{old:x} -> 0x{value & (width == 8 ? ulong.MaxValue : (1UL << (width * 8)) - 1):x}";
    }

    /// <summary>Where the section headers and their tables lie in the undamaged file.</summary>
    private sealed record Layout(List<(int Index, int HeaderAt, uint Type, ulong Offset, ulong Size)> Sections)
    {
        public static Layout Of(byte[] b)
        {
            var sections = new List<(int, int, uint, ulong, ulong)>();
            if (b.Length < 64) return new Layout(sections);
            ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(40));
            int count = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(60));
            for (int i = 0; i < count; i++)
            {
                ulong at = shoff + (ulong)i * 64;
                if (at + 64 > (ulong)b.Length) break;
                var h = b.AsSpan((int)at, 64);
                sections.Add((i, (int)at, BinaryPrimitives.ReadUInt32LittleEndian(h[4..]), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]), BinaryPrimitives.ReadUInt64LittleEndian(h[32..])));
            }
            return new Layout(sections);
        }
    }
}
