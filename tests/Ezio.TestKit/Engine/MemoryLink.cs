using System.IO.Pipelines;

namespace Ezio.TestKit.Engine;

/// <summary>
/// Two ends of an in-memory peer connection: what one end writes, the other reads. No
/// sockets, no kernel buffers, no real time: a test decides every byte and every tick.
/// </summary>
public static class MemoryLink
{
    private sealed class End(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// A pair of connected pipes: <c>A</c> for one side, <c>B</c> for the other. With
    /// <paramref name="bBuffer"/> set, A may write only that much ahead of B's reading before
    /// its flush waits, as behind a small receive buffer at B. With <paramref name="bWaitsForA"/>,
    /// each flush of B returns only once A has read everything B wrote: a test on side B
    /// knows its messages were taken in.
    /// </summary>
    public static (IDuplexPipe A, IDuplexPipe B) CreatePair(long bBuffer = 0, bool bWaitsForA = false)
    {
        // Unbounded on the writer's side as a socket pair with large buffers would be: a
        // test that stops reading must not stall the writer into a deadlock of its own.
        var unbounded = new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false);
        var toB = new Pipe(bBuffer > 0 ? new PipeOptions(pauseWriterThreshold: bBuffer, resumeWriterThreshold: bBuffer / 2, useSynchronizationContext: false) : unbounded);
        // Paused from the first unread byte, resumed once none is left.
        var toA = new Pipe(bWaitsForA ? new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1, useSynchronizationContext: false) : unbounded);
        return (new End(toA.Reader, toB.Writer), new End(toB.Reader, toA.Writer));
    }
}
