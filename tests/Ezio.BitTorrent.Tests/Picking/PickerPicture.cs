using Ezio.BitTorrent.Picking;

namespace Ezio.BitTorrent.Tests.Picking;

/// <summary>
/// Sets a picker up from strings, one column per piece, after libtorrent's <c>setup_picker</c>:
/// <code>
/// Picker("availability: 1 3 0 2", have: "1000", owners: "0100", busy: "0000")
/// </code>
/// availability is a space-separated count of peers that have each piece; have and busy are
/// 0/1 per piece; owners is a digit per piece (peers fetching it right now).
/// </summary>
internal static class PickerPicture
{
    public static PiecePicker Picker(string availability, string? have = null, string? owners = null, string? busy = null, int seed = 1)
    {
        const string prefix = "availability:";
        var counts = availability.StartsWith(prefix, StringComparison.Ordinal) ? availability[prefix.Length..] : availability;
        var columns = counts.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var picker = new PiecePicker(columns.Length, new Random(seed));
        for (var i = 0; i < columns.Length; i++)
        {
            for (var n = 0; n < columns[i]; n++)
            {
                picker.IncrementAvailability(i);
            }
        }
        ForEach(have, columns.Length, (i, c) =>
        {
            if (c == '1')
            {
                picker.SetHave(i);
            }
        });
        ForEach(owners, columns.Length, (i, c) =>
        {
            for (var n = 0; n < c - '0'; n++)
            {
                picker.AddOwner(i);
            }
        });
        ForEach(busy, columns.Length, (i, c) =>
        {
            if (c == '1')
            {
                picker.MarkBusy(i);
            }
        });
        return picker;
    }

    /// <summary>The pieces a peer has, as a picture ("0110"); null stands for a seed.</summary>
    public static Bitfield? Peer(string? bits) => bits is null ? null : Bitfield.FromString(bits);

    private static void ForEach(string? picture, int length, Action<int, char> action)
    {
        if (picture is null)
        {
            return;
        }
        if (picture.Length != length)
        {
            throw new ArgumentException($"picture '{picture}' has {picture.Length} columns, availability has {length}.");
        }
        for (var i = 0; i < length; i++)
        {
            action(i, picture[i]);
        }
    }
}
