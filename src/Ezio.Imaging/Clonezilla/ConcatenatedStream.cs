namespace Ezio.Imaging.Clonezilla;

/// <summary>Reads split chunks (.aa, .ab, …) one after the other as one forward-only stream.</summary>
internal sealed class ConcatenatedStream : Stream
{
    private readonly IReadOnlyList<string> _paths;
    private int _index;
    private FileStream? _current;

    public ConcatenatedStream(IReadOnlyList<string> paths)
    {
        _paths = paths;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (_current is null)
            {
                if (_index >= _paths.Count)
                {
                    return 0;
                }
                _current = new FileStream(_paths[_index++], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            }
            int n = _current.Read(buffer);
            if (n > 0 || buffer.IsEmpty)
            {
                return n;
            }
            _current.Dispose();
            _current = null;
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
            _current = null;
        }
        base.Dispose(disposing);
    }
}
