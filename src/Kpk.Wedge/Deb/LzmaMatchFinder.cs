namespace Kpk.Wedge.Deb;

/// <summary>
/// Finds earlier occurrences of the bytes at a position with hash chains over 3-byte prefixes:
/// <c>head</c> holds the latest position per hash, <c>prev</c> links each position to the
/// previous one with the same hash, within the dictionary window. Every position must be
/// inserted, in order, whether or not it starts a coded match.
/// </summary>
internal sealed class LzmaMatchFinder
{
    public const int MinMatch = 3;
    public const int MaxMatch = 273;
    private const int HashBits = 18;

    private readonly byte[] _data;
    private readonly int[] _head = new int[1 << HashBits];
    private readonly int[] _prev;
    private readonly int _windowMask;
    private readonly int _maxDistance;
    private readonly int _chainLimit;
    private readonly int _niceLength;
    private int _inserted;

    /// <param name="windowSize">A power of two; matches reach back less than this.</param>
    public LzmaMatchFinder(byte[] data, int windowSize, int chainLimit = 48, int niceLength = 96)
    {
        _data = data;
        _prev = new int[windowSize];
        _windowMask = windowSize - 1;
        _maxDistance = windowSize - 1;
        _chainLimit = chainLimit;
        _niceLength = niceLength;
        Array.Fill(_head, -1);
    }

    /// <summary>Inserts every position before <paramref name="end"/> not yet inserted.</summary>
    public void InsertUpTo(int end)
    {
        int last = _data.Length - MinMatch;
        for (; _inserted < end; _inserted++)
        {
            if (_inserted > last) continue;
            int h = Hash(_inserted);
            _prev[_inserted & _windowMask] = _head[h];
            _head[h] = _inserted;
        }
    }

    /// <summary>
    /// The longest match for the bytes at <paramref name="pos"/> (not longer than <paramref name="limit"/>),
    /// preferring the nearest of equal length; length 0 if none of at least <see cref="MinMatch"/>.
    /// Positions before <paramref name="pos"/> must have been inserted, <paramref name="pos"/> itself not.
    /// </summary>
    public (int Length, int Distance) Longest(int pos, int limit)
    {
        if (limit < MinMatch || pos > _data.Length - MinMatch) return (0, 0);
        int bestLength = 0, bestDistance = 0;
        int candidate = _head[Hash(pos)];
        var here = _data.AsSpan(pos, limit);
        for (int steps = 0; candidate >= 0 && steps < _chainLimit; steps++)
        {
            int distance = pos - candidate;
            if (distance > _maxDistance) break;
            // Quick reject: a longer match must agree at the byte just past the current best.
            if (_data[candidate + bestLength] == here[bestLength] || bestLength == 0)
            {
                int length = here.CommonPrefixLength(_data.AsSpan(candidate, limit));
                if (length > bestLength)
                {
                    bestLength = length;
                    bestDistance = distance;
                    if (length >= _niceLength || length == limit) break;
                }
            }
            int next = _prev[candidate & _windowMask];
            if (next >= candidate) break; // the slot was reused by a newer position: chain ends
            candidate = next;
        }
        return bestLength >= MinMatch ? (bestLength, bestDistance) : (0, 0);
    }

    private int Hash(int pos)
    {
        uint v = (uint)(_data[pos] | (_data[pos + 1] << 8) | (_data[pos + 2] << 16));
        return (int)((v * 2654435761u) >> (32 - HashBits));
    }
}
