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

    /// <summary>A pair of connected pipes: <c>A</c> for one side, <c>B</c> for the other.</summary>
    public static (IDuplexPipe A, IDuplexPipe B) CreatePair()
    {
        // Unbounded on the writer's side as a socket pair with large buffers would be: a
        // test that stops reading must not stall the writer into a deadlock of its own.
        var options = new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false);
        var toB = new Pipe(options);
        var toA = new Pipe(options);
        return (new End(toA.Reader, toB.Writer), new End(toB.Reader, toA.Writer));
    }
}
