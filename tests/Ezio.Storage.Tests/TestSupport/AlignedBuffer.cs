using System.Runtime.InteropServices;

namespace Ezio.Storage.Tests.TestSupport;

/// <summary>A 4096-aligned native buffer, like the engine's piece buffers.</summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    private void* _pointer;

    public AlignedBuffer(int length)
    {
        Length = length;
        _pointer = NativeMemory.AlignedAlloc((nuint)Math.Max(length, 1), 4096);
    }

    public int Length { get; }

    public Span<byte> Span => new(_pointer, Length);

    public void Dispose()
    {
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
    }
}
