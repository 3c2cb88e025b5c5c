namespace Ezio.Imaging.Build;

/// <summary>
/// Sees a segment's used bytes as the builder streams them (e.g. to write Clonezilla slices in
/// the same pass). Offsets are relative to the segment and ascend; the span is only valid
/// during the call. <see cref="Complete"/> follows the segment's last byte; Dispose always runs.
/// </summary>
public interface IUsedDataObserver : IDisposable
{
    void Append(long segmentOffset, ReadOnlySpan<byte> data);

    void Complete();
}
