using System.Buffers;

namespace Ezio.BitTorrent.Bencoding;

// CONTRACT STUB: the Bencoding work replaces the bodies; the public shape stays.

/// <summary>Writes bencoded values into a buffer writer. The caller writes dictionary keys sorted.</summary>
public readonly struct BencodeWriter
{
    private readonly IBufferWriter<byte> _output;

    public BencodeWriter(IBufferWriter<byte> output) => _output = output;

    public void WriteInteger(long value) => throw new NotImplementedException();
    public void WriteString(ReadOnlySpan<byte> value) => throw new NotImplementedException();
    /// <summary>UTF-8 string.</summary>
    public void WriteString(string value) => throw new NotImplementedException();
    public void WriteListStart() => throw new NotImplementedException();
    public void WriteDictionaryStart() => throw new NotImplementedException();
    public void WriteEnd() => throw new NotImplementedException();
    /// <summary>Copies already-bencoded bytes as they are.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bencoded) => throw new NotImplementedException();
}
