namespace Kpk.Wedge.Deb;

/// <summary>
/// The adaptive state of an LZMA coder with lc=3, lp=0, pb=2 (the xz defaults): the probability
/// tables, the 12-value state machine and the four most recent match distances ("reps").
/// Each method codes one LZMA symbol and advances the state exactly as a decoder will.
/// </summary>
internal sealed class LzmaModel
{
    public const int LiteralContextBits = 3;
    public const int PositionBits = 2;
    /// <summary>The properties byte of lc=3, lp=0, pb=2: (pb * 5 + lp) * 9 + lc.</summary>
    public const byte PropertiesByte = (PositionBits * 5 + 0) * 9 + LiteralContextBits;

    private const int States = 12;
    private const int PosStateMask = (1 << PositionBits) - 1;
    private const int EndPosModelIndex = 14;
    private const int FullDistances = 128;
    private const int AlignBits = 4;

    private readonly ushort[] _isMatch = new ushort[States << 4];
    private readonly ushort[] _isRep = new ushort[States];
    private readonly ushort[] _isRepG0 = new ushort[States];
    private readonly ushort[] _isRepG1 = new ushort[States];
    private readonly ushort[] _isRepG2 = new ushort[States];
    private readonly ushort[] _isRep0Long = new ushort[States << 4];
    private readonly ushort[] _literal = new ushort[0x300 << LiteralContextBits];
    private readonly ushort[] _posSlot = new ushort[4 << 6];
    private readonly ushort[] _posSpecial = new ushort[FullDistances - EndPosModelIndex];
    private readonly ushort[] _align = new ushort[1 << AlignBits];
    private readonly LengthCoder _matchLength = new();
    private readonly LengthCoder _repLength = new();
    private int _state;

    /// <summary>Distances minus one of the last four matches; rep0 is the latest.</summary>
    public readonly uint[] Reps = new uint[4];

    public LzmaModel() => Reset();

    /// <summary>True right after a match: the next literal is coded against the byte at rep0.</summary>
    public bool AfterMatch => _state >= 7;

    /// <summary>What an LZMA2 "state reset" does: fresh probabilities, state 0, reps 0.</summary>
    public void Reset()
    {
        foreach (var table in new[] { _isMatch, _isRep, _isRepG0, _isRepG1, _isRepG2, _isRep0Long, _literal, _posSlot, _posSpecial, _align })
            Array.Fill(table, RangeEncoder.ProbabilityInit);
        _matchLength.Reset();
        _repLength.Reset();
        _state = 0;
        Array.Clear(Reps);
    }

    public void Literal(RangeEncoder rc, long pos, byte value, byte previous, byte matchByte)
    {
        int posState = (int)(pos & PosStateMask);
        rc.EncodeBit(ref _isMatch[(_state << 4) + posState], 0);
        int offset = 0x300 * (previous >> (8 - LiteralContextBits));
        uint symbol = 1;
        if (_state >= 7)
        {
            // Matched literal: while the bits agree with the byte at rep0 they use the
            // probabilities chosen by that byte's bit; after the first difference, the plain ones.
            int i = 7;
            for (; i >= 0; i--)
            {
                int matchBit = (matchByte >> i) & 1;
                int bit = (value >> i) & 1;
                rc.EncodeBit(ref _literal[offset + ((1 + matchBit) << 8) + (int)symbol], bit);
                symbol = (symbol << 1) | (uint)bit;
                if (matchBit != bit) { i--; break; }
            }
            for (; i >= 0; i--)
            {
                int bit = (value >> i) & 1;
                rc.EncodeBit(ref _literal[offset + (int)symbol], bit);
                symbol = (symbol << 1) | (uint)bit;
            }
        }
        else
        {
            rc.EncodeTree(_literal, offset, 8, value);
        }
        _state = _state < 4 ? 0 : _state < 10 ? _state - 3 : _state - 6;
    }

    /// <summary>A match with a new distance (1-based <paramref name="distance"/>).</summary>
    public void Match(RangeEncoder rc, long pos, int length, int distance)
    {
        int posState = (int)(pos & PosStateMask);
        rc.EncodeBit(ref _isMatch[(_state << 4) + posState], 1);
        rc.EncodeBit(ref _isRep[_state], 0);
        _matchLength.Encode(rc, length - 2, posState);
        uint dist = (uint)(distance - 1);
        int lengthState = Math.Min(length - 2, 3);
        int slot = PosSlot(dist);
        rc.EncodeTree(_posSlot, lengthState << 6, 6, (uint)slot);
        if (slot >= 4)
        {
            int footerBits = (slot >> 1) - 1;
            uint baseDistance = (uint)((2 | (slot & 1)) << footerBits);
            uint reduced = dist - baseDistance;
            if (slot < EndPosModelIndex)
            {
                rc.EncodeReverseTree(_posSpecial, (int)baseDistance - slot - 1, footerBits, reduced);
            }
            else
            {
                rc.EncodeDirectBits(reduced >> AlignBits, footerBits - AlignBits);
                rc.EncodeReverseTree(_align, 0, AlignBits, reduced & ((1 << AlignBits) - 1));
            }
        }
        Reps[3] = Reps[2];
        Reps[2] = Reps[1];
        Reps[1] = Reps[0];
        Reps[0] = dist;
        _state = _state < 7 ? 7 : 10;
    }

    /// <summary>A match at the distance of rep <paramref name="index"/>; length 1 at rep0 is a "short rep".</summary>
    public void RepMatch(RangeEncoder rc, long pos, int index, int length)
    {
        int posState = (int)(pos & PosStateMask);
        rc.EncodeBit(ref _isMatch[(_state << 4) + posState], 1);
        rc.EncodeBit(ref _isRep[_state], 1);
        if (index == 0)
        {
            rc.EncodeBit(ref _isRepG0[_state], 0);
            rc.EncodeBit(ref _isRep0Long[(_state << 4) + posState], length == 1 ? 0 : 1);
            if (length == 1)
            {
                _state = _state < 7 ? 9 : 11;
                return;
            }
        }
        else
        {
            rc.EncodeBit(ref _isRepG0[_state], 1);
            if (index == 1)
            {
                rc.EncodeBit(ref _isRepG1[_state], 0);
            }
            else
            {
                rc.EncodeBit(ref _isRepG1[_state], 1);
                rc.EncodeBit(ref _isRepG2[_state], index == 2 ? 0 : 1);
            }
            uint dist = Reps[index];
            for (int i = index; i > 0; i--) Reps[i] = Reps[i - 1];
            Reps[0] = dist;
        }
        _repLength.Encode(rc, length - 2, posState);
        _state = _state < 7 ? 8 : 11;
    }

    private static int PosSlot(uint dist)
    {
        if (dist < 4) return (int)dist;
        int top = 31 - System.Numerics.BitOperations.LeadingZeroCount(dist);
        return (top << 1) | (int)((dist >> (top - 1)) & 1);
    }

    /// <summary>Match lengths 2..273: a choice bit, then 3 bits (per position state) for short lengths or 8 for long ones.</summary>
    private sealed class LengthCoder
    {
        private ushort _choice;
        private ushort _choice2;
        private readonly ushort[] _low = new ushort[16 << 3];
        private readonly ushort[] _mid = new ushort[16 << 3];
        private readonly ushort[] _high = new ushort[256];

        public void Reset()
        {
            _choice = _choice2 = RangeEncoder.ProbabilityInit;
            Array.Fill(_low, RangeEncoder.ProbabilityInit);
            Array.Fill(_mid, RangeEncoder.ProbabilityInit);
            Array.Fill(_high, RangeEncoder.ProbabilityInit);
        }

        public void Encode(RangeEncoder rc, int length, int posState)
        {
            if (length < 8)
            {
                rc.EncodeBit(ref _choice, 0);
                rc.EncodeTree(_low, posState << 3, 3, (uint)length);
            }
            else if (length < 16)
            {
                rc.EncodeBit(ref _choice, 1);
                rc.EncodeBit(ref _choice2, 0);
                rc.EncodeTree(_mid, posState << 3, 3, (uint)(length - 8));
            }
            else
            {
                rc.EncodeBit(ref _choice, 1);
                rc.EncodeBit(ref _choice2, 1);
                rc.EncodeTree(_high, 0, 8, (uint)(length - 16));
            }
        }
    }
}
