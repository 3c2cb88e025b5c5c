using System.Numerics;

namespace Ezio.BitTorrent.Picking;

/// <summary>
/// Chooses which whole piece a peer should send us next: rarest first with a random
/// tie-break among equally rare pieces; in endgame, a piece another peer is already
/// fetching (the first copy to verify wins).
/// </summary>
/// <remarks>
/// Owned by the swarm loop; not thread-safe. Peers are seen only as bitfields (null for a
/// peer that has everything), never as connections. Availability of peers that have every
/// piece is kept as one counter so that a seed costs nothing per piece.
/// </remarks>
public sealed class PiecePicker
{
    private readonly int[] _availability;
    private readonly int[] _owners;
    private readonly Bitfield _have;
    private readonly Bitfield _busy;
    private readonly Random _random;
    private int _seeds;
    private int _missing;

    public PiecePicker(int pieceCount, Random random)
    {
        _availability = new int[pieceCount];
        _owners = new int[pieceCount];
        _have = new Bitfield(pieceCount);
        _busy = new Bitfield(pieceCount);
        _random = random;
        _missing = pieceCount;
    }

    /// <summary>Pieces neither stored nor verified and on their way to storage.</summary>
    public int MissingCount => _missing;

    public int PieceCount => _availability.Length;

    /// <summary>Pieces verified and stored.</summary>
    public Bitfield Have => _have;

    public int HaveCount => _have.TrueCount;

    public bool IsComplete => _have.AllTrue;

    /// <summary>How many peers are fetching piece <paramref name="index"/> right now.</summary>
    public int Owners(int index) => _owners[index];

    public int Availability(int index) => _availability[index] + _seeds;

    public void AddSeed() => _seeds++;

    public void RemoveSeed() => _seeds--;

    public void AddAvailability(Bitfield peerHas) => AdjustAvailability(peerHas, 1);

    public void RemoveAvailability(Bitfield peerHas) => AdjustAvailability(peerHas, -1);

    private void AdjustAvailability(Bitfield peerHas, int delta)
    {
        for (var w = 0; w < peerHas.WordCount; w++)
        {
            for (var bits = peerHas.Word(w); bits != 0; bits &= bits - 1)
            {
                _availability[(w << 6) + BitOperations.TrailingZeroCount(bits)] += delta;
            }
        }
    }

    public void IncrementAvailability(int index) => _availability[index]++;

    public void DecrementAvailability(int index) => _availability[index]--;

    /// <summary>A peer started fetching the piece.</summary>
    public void AddOwner(int index) => _owners[index]++;

    /// <summary>A peer stopped fetching the piece (done, failed, choked or gone).</summary>
    public void RemoveOwner(int index) => _owners[index]--;

    /// <summary>The piece verified and is on its way to storage: nobody else should fetch it.</summary>
    public void MarkBusy(int index)
    {
        if (!_have[index] && _busy.Set(index))
        {
            _missing--;
        }
    }

    /// <summary>The piece's hash or write failed: it must be fetched again.</summary>
    public void ClearBusy(int index)
    {
        if (!_have[index] && _busy.Clear(index))
        {
            _missing++;
        }
    }

    public bool IsBusy(int index) => _busy[index];

    /// <summary>The piece is verified and stored.</summary>
    public void SetHave(int index)
    {
        var wasBusy = _busy.Clear(index);
        if (_have.Set(index) && !wasBusy)
        {
            _missing--;
        }
    }

    /// <summary>True when no piece is left that nobody is fetching.</summary>
    public bool InEndgame
    {
        get
        {
            for (var w = 0; w < _have.WordCount; w++)
            {
                for (var open = Open(w); open != 0; open &= open - 1)
                {
                    if (_owners[(w << 6) + BitOperations.TrailingZeroCount(open)] == 0)
                    {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /// <summary>
    /// The piece to fetch from a peer that has <paramref name="peerHas"/> (null: every piece),
    /// or -1. Never a piece we have, one being written, or one in <paramref name="exclude"/>
    /// (pieces this peer already fetches). Pieces nobody fetches come first, rarest first;
    /// with <paramref name="endgame"/>, a piece fetched by fewer than
    /// <paramref name="maxOwners"/> peers is the fallback, least-owned first.
    /// </summary>
    public int Pick(Bitfield? peerHas, Func<int, bool>? exclude = null, bool endgame = true, int maxOwners = 2)
    {
        var best = -1;
        var bestRank = long.MaxValue;
        var ties = 0;
        // Word by word, only the pieces that are neither had nor busy and that the peer has;
        // ascending order, so the tie-break draws are the same as a piece-by-piece scan's.
        for (var w = 0; w < _have.WordCount; w++)
        {
            var open = Open(w);
            if (peerHas is not null)
            {
                open &= peerHas.Word(w);
            }
            for (; open != 0; open &= open - 1)
            {
                var i = (w << 6) + BitOperations.TrailingZeroCount(open);
                long rank;
                if (_owners[i] == 0)
                {
                    rank = _availability[i];
                }
                else if (endgame && _owners[i] < maxOwners)
                {
                    // After every unowned piece: fewest owners, then rarest.
                    rank = ((long)_owners[i] << 32) + _availability[i];
                }
                else
                {
                    continue;
                }
                if (rank > bestRank || (exclude is not null && exclude(i)))
                {
                    continue;
                }
                if (rank < bestRank)
                {
                    bestRank = rank;
                    best = i;
                    ties = 1;
                }
                else if (_random.Next(++ties) == 0)
                {
                    // Reservoir sampling: each of the equally rare pieces is kept with equal chance.
                    best = i;
                }
            }
        }
        return best;
    }

    /// <summary>Pieces of word <paramref name="w"/> neither stored nor being written.</summary>
    private ulong Open(int w) => ~(_have.Word(w) | _busy.Word(w)) & ValidBits(w);

    /// <summary>The bits of word <paramref name="w"/> that stand for pieces (the last word is partial).</summary>
    private ulong ValidBits(int w)
    {
        var left = PieceCount - (w << 6);
        return left >= 64 ? ulong.MaxValue : (1UL << left) - 1;
    }
}
