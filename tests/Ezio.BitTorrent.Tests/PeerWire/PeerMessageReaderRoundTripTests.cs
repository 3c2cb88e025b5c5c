using System.Buffers;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.PeerWire;
using Xunit;

namespace Ezio.BitTorrent.Tests.PeerWire;

public sealed class PeerMessageReaderRoundTripTests
{
    public static TheoryData<string> Samples => new(WireSample.Names);

    private static void AssertDecoded(WireSample sample, in PeerMessage message)
    {
        Assert.Equal(sample.Id, message.Id);
        Assert.Equal(sample.Index, message.Index);
        Assert.Equal(sample.Begin, message.Begin);
        Assert.Equal(sample.Length, message.Length);
        Assert.Equal(sample.ExtendedId, message.ExtendedId);
        Assert.Equal(sample.Payload, message.Payload.ToArray());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void TryRead_WrittenMessage_DecodesToSameFieldsAndConsumesIt(string name)
    {
        var sample = WireSample.Get(name);
        var buffer = new ReadOnlySequence<byte>(sample.Wire);

        Assert.True(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out var message));

        AssertDecoded(sample, message);
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void TryRead_MessageSplitAtEveryOffset_DecodesTheSame(string name)
    {
        var sample = WireSample.Get(name);
        // Every two-segment split near the header, plus a few cuts inside a long body.
        var cuts = Enumerable.Range(1, Math.Min(sample.Wire.Length - 1, 40))
            .Concat([sample.Wire.Length / 2, sample.Wire.Length - 1])
            .Where(c => c > 0 && c < sample.Wire.Length)
            .Distinct();
        foreach (var cut in cuts)
        {
            var buffer = Sequences.Split(sample.Wire, cut);

            Assert.True(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out var message), $"cut at {cut}");

            AssertDecoded(sample, message);
            Assert.True(buffer.IsEmpty);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void TryRead_AllSamplesInSmallSegments_DecodesEachInOrder(int segmentSize)
    {
        var samples = WireSample.Names.Select(WireSample.Get).ToList();
        var all = samples.SelectMany(s => s.Wire).ToArray();
        var buffer = Sequences.Chunked(all, segmentSize);

        foreach (var sample in samples)
        {
            Assert.True(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out var message), sample.ToString());
            AssertDecoded(sample, message);
        }

        Assert.True(buffer.IsEmpty);
        Assert.False(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out _));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void TryRead_FedByteByByte_ReturnsFalseUntilTheLastByteThenSucceeds(string name)
    {
        var sample = WireSample.Get(name);
        if (sample.Wire.Length > 20_000)
        {
            // The 128 KiB block would make this quadratic; the 3000-byte piece covers bodies.
            return;
        }
        var whole = Sequences.Chunked(sample.Wire, 1);

        for (var have = 0; have < sample.Wire.Length; have++)
        {
            var partial = whole.Slice(0, have);

            Assert.False(PeerMessageReader.TryRead(ref partial, WireSample.Limits, out _), $"{have} of {sample.Wire.Length} bytes");
            Assert.Equal(have, partial.Length);
        }

        Assert.True(PeerMessageReader.TryRead(ref whole, WireSample.Limits, out var message));
        AssertDecoded(sample, message);
        Assert.True(whole.IsEmpty);
    }

    [Fact]
    public void TryRead_MessageFollowedByPartialNext_ReadsFirstAndKeepsTheRest()
    {
        var have = WireSample.Get("have").Wire;
        var request = WireSample.Get("request").Wire;
        var bytes = have.Concat(request[..10]).ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out var first));
        Assert.False(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out _));

        Assert.Equal(MessageId.Have, first.Id);
        Assert.Equal(request[..10], buffer.ToArray());
    }

    [Fact]
    public void TryRead_EmptyBuffer_ReturnsFalse()
    {
        var buffer = ReadOnlySequence<byte>.Empty;

        Assert.False(PeerMessageReader.TryRead(ref buffer, WireSample.Limits, out _));
    }
}
