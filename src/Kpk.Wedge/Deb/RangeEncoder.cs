namespace Kpk.Wedge.Deb;

/// <summary>
/// The LZMA range encoder: bits coded against adaptive 11-bit probabilities, plus "direct" bits
/// at probability one half. A carry out of <c>low</c> can ripple into bytes not yet written, so
/// one byte (and any run of 0xFF after it) is held back in <c>cache</c> until it is final.
/// </summary>
internal sealed class RangeEncoder
{
    public const int ProbabilityBits = 11;
    public const ushort ProbabilityInit = 1 << (ProbabilityBits - 1);
    private const int MoveBits = 5;
    private const uint TopValue = 1 << 24;

    private byte[] _buffer = new byte[1 << 16];
    private int _length;
    private ulong _low;
    private uint _range = 0xFFFFFFFF;
    private byte _cache;
    private long _cacheSize = 1;

    /// <summary>The size the output will have once flushed, were no more bits coded.</summary>
    public long FlushedSize => _length + _cacheSize + 4;

    public ReadOnlySpan<byte> Output => _buffer.AsSpan(0, _length);

    public void EncodeBit(ref ushort probability, int bit)
    {
        uint bound = (_range >> ProbabilityBits) * probability;
        if (bit == 0)
        {
            _range = bound;
            probability += (ushort)(((1 << ProbabilityBits) - probability) >> MoveBits);
        }
        else
        {
            _low += bound;
            _range -= bound;
            probability -= (ushort)(probability >> MoveBits);
        }
        while (_range < TopValue)
        {
            _range <<= 8;
            ShiftLow();
        }
    }

    public void EncodeDirectBits(uint value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            _range >>= 1;
            if (((value >> i) & 1) != 0) _low += _range;
            while (_range < TopValue)
            {
                _range <<= 8;
                ShiftLow();
            }
        }
    }

    /// <summary>Codes <paramref name="bits"/> bits of <paramref name="value"/>, most significant first, through a binary tree of probabilities.</summary>
    public void EncodeTree(ushort[] probs, int offset, int bits, uint value)
    {
        uint node = 1;
        for (int i = bits - 1; i >= 0; i--)
        {
            int bit = (int)((value >> i) & 1);
            EncodeBit(ref probs[offset + node], bit);
            node = (node << 1) | (uint)bit;
        }
    }

    /// <summary>Like <see cref="EncodeTree"/> but least significant bit first (distance footers and align bits).</summary>
    public void EncodeReverseTree(ushort[] probs, int offset, int bits, uint value)
    {
        uint node = 1;
        for (int i = 0; i < bits; i++)
        {
            int bit = (int)(value & 1);
            value >>= 1;
            EncodeBit(ref probs[offset + node], bit);
            node = (node << 1) | (uint)bit;
        }
    }

    public void Flush()
    {
        for (int i = 0; i < 5; i++) ShiftLow();
    }

    private void ShiftLow()
    {
        if ((uint)_low < 0xFF000000u || (_low >> 32) != 0)
        {
            byte carry = (byte)(_low >> 32);
            byte temp = _cache;
            do
            {
                Append((byte)(temp + carry));
                temp = 0xFF;
            }
            while (--_cacheSize != 0);
            _cache = (byte)((uint)_low >> 24);
        }
        _cacheSize++;
        _low = (_low & 0x00FFFFFF) << 8;
    }

    private void Append(byte b)
    {
        if (_length == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        _buffer[_length++] = b;
    }
}
