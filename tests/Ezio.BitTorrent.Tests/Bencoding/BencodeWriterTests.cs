using System.Buffers;
using System.Text;
using Ezio.BitTorrent.Bencoding;
using Xunit;

namespace Ezio.BitTorrent.Tests.Bencoding;

public sealed class BencodeWriterTests
{
    [Fact]
    public void Write_AllTokens_ProducesBep3Bytes()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output);
        writer.WriteDictionaryStart();
        writer.WriteString("a"u8);
        writer.WriteInteger(-12);
        writer.WriteString("b");
        writer.WriteListStart();
        writer.WriteString("héllo");
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        writer.WriteRaw("i0e"u8);
        writer.WriteEnd();
        writer.WriteEnd();
        Assert.Equal("d1:ai-12e1:bl6:héllo0:i0eee", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void WriteInteger_ThenRead_RoundTrips(long value)
    {
        var output = new ArrayBufferWriter<byte>();
        new BencodeWriter(output).WriteInteger(value);
        var reader = new BencodeReader(output.WrittenSpan);
        Assert.Equal(value, reader.ReadInteger());
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void WriteString_BinaryThenRead_RoundTrips()
    {
        byte[] value = new byte[70_000];
        new Random(7).NextBytes(value);
        // A tiny initial buffer forces GetSpan to grow between the prefix and the body.
        var output = new ArrayBufferWriter<byte>(1);
        new BencodeWriter(output).WriteString(value);
        var reader = new BencodeReader(output.WrittenSpan);
        Assert.True(reader.ReadString().SequenceEqual(value));
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void Write_NestedStructure_SkipValueReturnsEverything()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(output);
        writer.WriteListStart();
        for (int i = 0; i < 50; i++)
        {
            writer.WriteDictionaryStart();
            writer.WriteString("k");
            writer.WriteInteger(i);
            writer.WriteEnd();
        }
        writer.WriteEnd();
        var reader = new BencodeReader(output.WrittenSpan);
        Assert.Equal(output.WrittenCount, reader.SkipValue().Length);
    }
}
