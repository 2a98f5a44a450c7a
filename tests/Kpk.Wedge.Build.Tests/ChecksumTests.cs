using System.Text;
using Kpk.Wedge.Deb;
using Xunit;

namespace Kpk.Wedge.Build.Tests;

public class ChecksumTests
{
    // The standard check values of the CRC catalogue: CRC of the ASCII string "123456789".
    [Fact]
    public void Crc32_matches_the_catalogue_check_value() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Crc64_is_the_xz_variant() =>
        Assert.Equal(0x995DC9BBDF1939FAUL, Crc64.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Empty_input_gives_zero()
    {
        Assert.Equal(0u, Crc32.Compute([]));
        Assert.Equal(0UL, Crc64.Compute([]));
    }

    [Fact]
    public void Incremental_equals_one_shot()
    {
        var data = new byte[10_000];
        new Random(7).NextBytes(data);
        var crc32 = new Crc32();
        var crc64 = new Crc64();
        for (int i = 0; i < data.Length; i += 333)
        {
            var part = data.AsSpan(i, Math.Min(333, data.Length - i));
            crc32.Append(part);
            crc64.Append(part);
        }
        Assert.Equal(Crc32.Compute(data), crc32.Value);
        Assert.Equal(Crc64.Compute(data), crc64.Value);
    }

    [Fact]
    public void Crc32_agrees_with_gzip_trailer()
    {
        // gzip stores the CRC-32 of the uncompressed data in its trailer: an independent reference.
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $"line {i} of some text\n")));
        var gz = ExternalTool.Check("gzip", ["-c", "-n"], data).Out;
        uint trailer = BitConverter.ToUInt32(gz, gz.Length - 8);
        Assert.Equal(trailer, Crc32.Compute(data));
    }
}
