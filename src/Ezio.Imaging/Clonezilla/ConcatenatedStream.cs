namespace Ezio.Imaging.Clonezilla;

/// <summary>Reads split chunks (.aa, .ab, …) one after the other as one forward-only stream.</summary>
internal sealed class ConcatenatedStream : ReadOnlyStream
{
    private readonly IReadOnlyList<string> _paths;
    private int _index;
    private FileStream? _current;

    public ConcatenatedStream(IReadOnlyList<string> paths)
    {
        _paths = paths;
    }

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
