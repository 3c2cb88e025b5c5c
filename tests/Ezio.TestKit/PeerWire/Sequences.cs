using System.Buffers;

namespace Ezio.TestKit.PeerWire;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, the shape a <c>PipeReader</c>
/// hands out when a message straddles two socket reads.
/// </summary>
public static class Sequences
{
    /// <summary>Cuts <paramref name="data"/> at the given offsets (ascending, inside the data).</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> data, params int[] cuts)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        foreach (var cut in cuts)
        {
            pieces.Add(data[start..cut]);
            start = cut;
        }
        pieces.Add(data[start..]);
        return Join(pieces);
    }

    /// <summary>Cuts <paramref name="data"/> into segments of <paramref name="size"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Chunked(ReadOnlyMemory<byte> data, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var pieces = new List<ReadOnlyMemory<byte>>();
        for (var start = 0; start < data.Length; start += size)
        {
            pieces.Add(data.Slice(start, Math.Min(size, data.Length - start)));
        }
        return Join(pieces);
    }

    private static ReadOnlySequence<byte> Join(List<ReadOnlyMemory<byte>> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(pieces[0], 0);
        var last = first;
        for (var i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
