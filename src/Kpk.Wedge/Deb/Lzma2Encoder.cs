namespace Kpk.Wedge.Deb;

/// <summary>
/// Encodes data as an LZMA2 stream (the filter inside .xz). LZMA2 is a sequence of chunks, each
/// either LZMA-compressed (at most 2 MiB in, 64 KiB out) or stored; a 0x00 byte ends it. Every
/// LZMA chunk here starts with a state reset (fresh probabilities), but the dictionary carries
/// over, so matches still reach back into earlier chunks. A chunk that would not shrink is
/// written stored instead, so incompressible input grows by only a few bytes per 64 KiB.
/// </summary>
public static class Lzma2Encoder
{
    private const int MaxChunkUnpacked = 1 << 21;
    private const int MaxChunkPacked = 1 << 16;
    private const int MaxStoredChunk = 1 << 16;
    /// <summary>Room kept in a chunk for the largest symbol and the final flush.</summary>
    private const int PackedMargin = 64;

    /// <summary>The smallest power-of-two dictionary that holds the input, between 4 KiB and 8 MiB (xz -6's size).</summary>
    public static int DictionarySizeFor(long inputLength)
    {
        int size = 1 << 12;
        while (size < inputLength && size < (1 << 23)) size <<= 1;
        return size;
    }

    /// <summary>The LZMA2 filter property byte for a power-of-two dictionary size.</summary>
    public static byte DictionarySizeByte(int dictionarySize)
    {
        if (dictionarySize < (1 << 12) || (dictionarySize & (dictionarySize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(dictionarySize), "a power of two of at least 4 KiB");
        int log = System.Numerics.BitOperations.Log2((uint)dictionarySize);
        return (byte)((log - 12) * 2);
    }

    /// <summary>LZMA2 with every chunk stored: valid, fast, and no smaller than the input.</summary>
    public static byte[] EncodeStored(ReadOnlySpan<byte> input)
    {
        var output = new MemoryStream(input.Length + input.Length / MaxStoredChunk * 3 + 4);
        WriteStored(output, input, dictionaryReset: true);
        output.WriteByte(0);
        return output.ToArray();
    }

    public static byte[] Encode(byte[] input, int dictionarySize)
    {
        var output = new MemoryStream(input.Length / 3 + 64);
        var finder = new LzmaMatchFinder(input, dictionarySize);
        var model = new LzmaModel();
        bool dictionaryReset = true;   // the first chunk must reset the dictionary
        bool needProperties = true;    // ... and the first LZMA chunk must state its properties
        int pos = 0;
        while (pos < input.Length)
        {
            int start = pos;
            int end = Math.Min(input.Length, start + MaxChunkUnpacked);
            var rc = new RangeEncoder();
            model.Reset();
            while (pos < end && rc.FlushedSize < MaxChunkPacked - PackedMargin)
                pos += EncodeSymbol(rc, model, finder, input, pos, end);
            rc.Flush();
            int unpacked = pos - start;
            var packed = rc.Output;
            if (packed.Length >= unpacked)
            {
                WriteStored(output, input.AsSpan(start, unpacked), dictionaryReset);
                if (dictionaryReset) needProperties = true;
            }
            else
            {
                int control = dictionaryReset ? 0xE0 : needProperties ? 0xC0 : 0xA0;
                output.WriteByte((byte)(control | ((unpacked - 1) >> 16)));
                WriteBigEndian16(output, unpacked - 1);
                WriteBigEndian16(output, packed.Length - 1);
                if (control >= 0xC0) output.WriteByte(LzmaModel.PropertiesByte);
                output.Write(packed);
                needProperties = false;
            }
            dictionaryReset = false;
        }
        output.WriteByte(0);
        return output.ToArray();
    }

    /// <summary>
    /// Chooses and codes one symbol at <paramref name="pos"/>; returns how many bytes it covers.
    /// Greedy with one step of lazy evaluation; repeated distances are preferred because they
    /// cost far fewer bits than a new distance.
    /// </summary>
    private static int EncodeSymbol(RangeEncoder rc, LzmaModel model, LzmaMatchFinder finder, byte[] data, int pos, int end)
    {
        int limit = Math.Min(end - pos, LzmaMatchFinder.MaxMatch);
        finder.InsertUpTo(pos);
        var (mainLength, mainDistance) = finder.Longest(pos, limit);
        var (repLength, repIndex) = LongestRep(model, data, pos, limit);

        // A new distance that equals a rep is coded as that rep.
        if (mainLength >= 2)
        {
            for (int i = 0; i < 4; i++)
            {
                if (model.Reps[i] + 1 == (uint)mainDistance && mainLength >= repLength)
                {
                    repLength = mainLength;
                    repIndex = i;
                    mainLength = 0;
                    break;
                }
            }
        }
        if (!WorthMatching(mainLength, mainDistance)) mainLength = 0;

        if (repLength >= 2 && repLength + 1 >= mainLength)
        {
            model.RepMatch(rc, pos, repIndex, repLength);
            finder.InsertUpTo(pos + repLength);
            return repLength;
        }
        if (mainLength > 0)
        {
            // Lazy step: if the next position starts a clearly longer match, code a literal first.
            if (mainLength < 32 && pos + 1 < end)
            {
                finder.InsertUpTo(pos + 1);
                var (nextLength, nextDistance) = finder.Longest(pos + 1, Math.Min(end - pos - 1, LzmaMatchFinder.MaxMatch));
                if (nextLength > mainLength && WorthMatching(nextLength, nextDistance))
                {
                    CodeLiteral(model, rc, data, pos);
                    return 1;
                }
            }
            model.Match(rc, pos, mainLength, mainDistance);
            finder.InsertUpTo(pos + mainLength);
            return mainLength;
        }
        // A byte equal to the one at rep0 codes in a few bits as a "short rep".
        if (model.Reps[0] < pos && data[pos] == data[pos - model.Reps[0] - 1])
        {
            model.RepMatch(rc, pos, 0, 1);
            return 1;
        }
        CodeLiteral(model, rc, data, pos);
        return 1;
    }

    private static void CodeLiteral(LzmaModel model, RangeEncoder rc, byte[] data, int pos)
    {
        byte previous = pos > 0 ? data[pos - 1] : (byte)0;
        byte matchByte = model.AfterMatch ? data[pos - model.Reps[0] - 1] : (byte)0;
        model.Literal(rc, pos, data[pos], previous, matchByte);
    }

    /// <summary>Short matches far away cost more bits than the literals they replace.</summary>
    private static bool WorthMatching(int length, int distance) =>
        length >= 3 && (length > 3 || distance <= 1 << 8) && (length > 4 || distance <= 1 << 14) && (length > 5 || distance <= 1 << 19);

    private static (int Length, int Index) LongestRep(LzmaModel model, byte[] data, int pos, int limit)
    {
        int best = 0, bestIndex = 0;
        if (limit < 2) return (0, 0);
        var here = data.AsSpan(pos, limit);
        for (int i = 0; i < 4; i++)
        {
            long source = pos - (long)model.Reps[i] - 1;
            if (source < 0) continue;
            int length = here.CommonPrefixLength(data.AsSpan((int)source, limit));
            if (length > best)
            {
                best = length;
                bestIndex = i;
            }
        }
        return best >= 2 ? (best, bestIndex) : (0, 0);
    }

    private static void WriteStored(Stream output, ReadOnlySpan<byte> data, bool dictionaryReset)
    {
        for (int offset = 0; offset < data.Length; offset += MaxStoredChunk)
        {
            int size = Math.Min(MaxStoredChunk, data.Length - offset);
            output.WriteByte((byte)(dictionaryReset ? 1 : 2));
            WriteBigEndian16(output, size - 1);
            output.Write(data.Slice(offset, size));
            dictionaryReset = false;
        }
    }

    private static void WriteBigEndian16(Stream output, int value)
    {
        output.WriteByte((byte)(value >> 8));
        output.WriteByte((byte)value);
    }
}
