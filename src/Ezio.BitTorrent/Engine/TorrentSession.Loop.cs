using System.Diagnostics;
using Ezio.BitTorrent.Picking;
using Ezio.BitTorrent.PeerWire;
using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

public sealed partial class TorrentSession
{
    private async Task SwarmLoopAsync()
    {
        var reader = _events.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    Dispatch(message);
                }
                catch (PeerProtocolException e) when (message is SwarmEvent.FromPeer batch)
                {
                    batch.Peer.Abort(CloseReason.ProtocolError, e.Message);
                }
            }
        }
    }

    private void Dispatch(SwarmEvent message)
    {
        switch (message)
        {
            case SwarmEvent.FromPeer batch:
                OnBatch(batch);
                break;
            case SwarmEvent.PieceStored stored:
                OnPieceStored(stored);
                break;
            case SwarmEvent.PeerConnected connected:
                OnPeerConnected(connected.Peer);
                break;
            case SwarmEvent.PeerClosed closed:
                OnPeerClosed(closed.Peer);
                break;
            case SwarmEvent.AddPeers add:
                _dialer.Add(add.Peers);
                DialCandidates();
                break;
            case SwarmEvent.DialFailed failed:
                _dialer.Failed(failed.EndPoint);
                break;
            case SwarmEvent.Tick:
                OnTick();
                break;
            case SwarmEvent.Rechecked rechecked:
                OnRechecked(rechecked);
                break;
            case SwarmEvent.Flushed flushed:
                OnFlushed(flushed.Error);
                break;
            case SwarmEvent.StorageFailed failed:
                Fail(failed.Error);
                break;
            case SwarmEvent.WebSeedPiece webSeed:
                OnWebSeedPiece(webSeed);
                break;
            case SwarmEvent.WebSeedsStart:
                _webSeeds.Fill(Downloading);
                break;
            case SwarmEvent.Barrier barrier:
                barrier.Reached.TrySetResult();
                break;
            default:
                throw new UnreachableException($"the swarm loop has no handler for {message.GetType().Name}");
        }
    }

    private void OnBatch(SwarmEvent.FromPeer batch)
    {
        var peer = batch.Peer;
        peer.ToppedUp();
        var fill = false;
        foreach (var item in batch.Events)
        {
            switch (item.Kind)
            {
                case PeerEventKind.Hashed:
                    OnHashed(peer, item);
                    break;
                case PeerEventKind.Released:
                    _requester.Release(item.Download!);
                    RetryHungry();
                    break;
                case PeerEventKind.Rejected:
                    if (peer.Downloads.Refused(item.Index) is { } refused)
                    {
                        _requester.Release(refused);
                        RetryHungry();
                    }
                    break;
                case PeerEventKind.Abandoned:
                    _picker.RemoveOwner(item.Index);
                    if (!_picker.Have[item.Index])
                    {
                        _picker.ClearBusy(item.Index);
                    }
                    _pool.Return(item.Download!.Buffer);
                    break;
                case PeerEventKind.Unchoke:
                    peer.PeerChoking = false;
                    fill = true;
                    break;
                case PeerEventKind.Choke:
                    peer.PeerChoking = true;
                    foreach (var download in peer.Downloads.TakeAll())
                    {
                        _requester.Release(download);
                    }
                    RetryHungry();
                    break;
                case PeerEventKind.Interested:
                    peer.PeerInterested = true;
                    _choker.TryUnchoke(peer, _peers);
                    break;
                case PeerEventKind.NotInterested:
                    peer.PeerInterested = false;
                    _choker.FreeSlot(peer, _peers);
                    break;
                case PeerEventKind.Have:
                    fill |= OnHave(peer, item.Index);
                    break;
                case PeerEventKind.Bitfield:
                    if (!Bitfield.TryParse(item.Data, Torrent.PieceCount, out var bits))
                    {
                        throw new PeerProtocolException(PeerProtocolError.BadBitfield, "bitfield with spare bits set or of the wrong size.");
                    }
                    for (var i = 0; i < bits.Length; i++)
                    {
                        if (bits[i])
                        {
                            OnHave(peer, i);
                        }
                    }
                    fill = true;
                    break;
                case PeerEventKind.HaveAll:
                    for (var i = 0; i < Torrent.PieceCount; i++)
                    {
                        OnHave(peer, i);
                    }
                    fill = true;
                    break;
                case PeerEventKind.HaveNone:
                    break;
            }
        }
        if (_superSeeder is { AllotDue: true } superSeeder)
        {
            superSeeder.Allot();
        }
        if (peer.IsClosed || !peer.Registered)
        {
            return;
        }
        UpdateInterest(peer);
        if (IsComplete && peer.RemoteBitfield.AllTrue)
        {
            peer.Abort(CloseReason.BothSeeds);
            return;
        }
        // Blocks came in: requests go out here, on the swarm loop, and only here.
        if (peer.Downloads.TopUp() || fill || peer.Hungry)
        {
            Fill(peer);
        }
    }

    /// <summary>Records a have; returns true when it gave us something new to fetch.</summary>
    private bool OnHave(PeerConnection peer, int index)
    {
        if (!peer.RemoteBitfield.Set(index))
        {
            return false;
        }
        _picker.IncrementAvailability(index);
        _superSeeder?.OnHave(peer, index, _picker.Availability(index));
        if (!_picker.Have[index])
        {
            peer.Interesting++;
            return true;
        }
        return false;
    }

    private void OnHashed(PeerConnection peer, in PeerEvent item)
    {
        var index = item.Index;
        peer.Downloads.Heard(item.Download!);
        _picker.RemoveOwner(index);
        if (!item.Ok)
        {
            _pool.Return(item.Download!.Buffer);
            TorrentSessionLog.HashFailed(Options.Logger, index, peer.RemoteEndPoint);
            Interlocked.Increment(ref _hashFailures);
            peer.HashFailures = _bans.Strike(peer.PeerId, peer.RemoteEndPoint);
            if (peer.HashFailures >= Options.MaxHashFailures)
            {
                Ban(peer, $"sent {peer.HashFailures} pieces that failed their SHA-1 check");
            }
            RetryHungry();
            return;
        }
        if (_picker.Have[index])
        {
            return;
        }
        _picker.MarkBusy(index);
        // Endgame: the first copy to verify wins; the others are cancelled.
        _requester.Won(index, peer, _peers);
    }

    private void OnPieceStored(SwarmEvent.PieceStored stored)
    {
        _pool.Return(stored.Download.Buffer);
        var index = stored.Download.Index;
        if (_picker.Have[index])
        {
            return;
        }
        Interlocked.Add(ref _written, Torrent.GetPieceSize(index));
        AnnounceHave(index);
        if (_picker.IsComplete)
        {
            StartFlush();
            return;
        }
        RetryHungry();
    }

    /// <summary>Every piece is here: flush the storage off the loop; done follows the flush (<see cref="OnFlushed"/>).</summary>
    private void StartFlush()
    {
        _state = SessionState.Flushing;
        _ = Task.Run(() =>
        {
            try
            {
                Storage.Flush();
                Post(new SwarmEvent.Flushed(null));
            }
            catch (Exception e)
            {
                Post(new SwarmEvent.Flushed(e));
            }
        });
    }

    /// <summary>A piece is ours: tell every peer, and stop wanting it from them.</summary>
    private void AnnounceHave(int index)
    {
        SetHave(index);
        foreach (var peer in _peers)
        {
            peer.Send(Outgoing.Have(index));
            if (peer.RemoteBitfield[index])
            {
                peer.Interesting--;
                UpdateInterest(peer);
            }
        }
    }

    private void OnRechecked(SwarmEvent.Rechecked rechecked)
    {
        if (_state != SessionState.Checking)
        {
            return;
        }
        foreach (var (index, ok) in rechecked.Pieces)
        {
            if (ok)
            {
                AnnounceHave(index);
            }
            else
            {
                _picker.ClearBusy(index);
            }
        }
        if (rechecked.Done)
        {
            var logger = Options.Logger;
            if (logger.IsEnabled(LogLevel.Information))
            {
                var seconds = Time.GetElapsedTime(_recheckStarted).TotalSeconds;
                TorrentSessionLog.Rechecked(logger, _picker.HaveCount, Torrent.PieceCount, seconds);
            }
            _checked.TrySetResult();
            if (_picker.IsComplete)
            {
                // Everything was already there, but maybe only in the page cache (an earlier
                // run in this boot wrote it and stopped before its flush): flush before done.
                StartFlush();
                return;
            }
            _state = SessionState.Downloading;
        }
        RetryHungry();
    }

    private void OnFlushed(Exception? error)
    {
        if (error is not null)
        {
            Fail(error);
            return;
        }
        _state = SessionState.Seeding;
        TorrentSessionLog.Completed(Options.Logger, Torrent.PieceCount);
        _completed.TrySetResult();
        _announcer?.Complete();
        foreach (var peer in _peers.ToArray())
        {
            if (peer.RemoteBitfield.AllTrue)
            {
                peer.Abort(CloseReason.BothSeeds);
            }
        }
    }

    private void Fail(Exception error)
    {
        TorrentSessionLog.StorageFailed(Options.Logger, error);
        _state = SessionState.Failed;
        _completed.TrySetException(error);
        foreach (var peer in _peers.ToArray())
        {
            peer.Abort(CloseReason.DownloadFailed);
        }
    }

    private static void UpdateInterest(PeerConnection peer)
    {
        var interested = peer.Interesting > 0;
        if (interested != peer.AmInterested)
        {
            peer.AmInterested = interested;
            peer.Send(Outgoing.Simple(interested ? MessageId.Interested : MessageId.NotInterested));
        }
    }

    private void OnWebSeedPiece(SwarmEvent.WebSeedPiece e)
    {
        var index = e.Download.Index;
        if (_webSeeds.OnPiece(e, out var hashFailed))
        {
            // The buffer is on its way to the disk writer, which hands it back when stored.
            if (!_picker.Have[index])
            {
                _picker.MarkBusy(index);
                _requester.Won(index, winner: null, _peers);
            }
        }
        else if (hashFailed)
        {
            Interlocked.Increment(ref _hashFailures);
        }
        RetryHungry();
    }

    private bool Downloading => _state is SessionState.Downloading or SessionState.Checking;

    private void Fill(PeerConnection peer) => _requester.Fill(peer, _peers, Downloading);

    private void RetryHungry()
    {
        _webSeeds.Fill(Downloading);
        _requester.RetryHungry(_peers, Downloading);
    }

    private void Ban(PeerConnection peer, string reason)
    {
        _bans.Ban(peer.PeerId, peer.RemoteEndPoint);
        TorrentSessionLog.Banned(Options.Logger, peer.RemoteEndPoint, reason);
        peer.Abort(CloseReason.Banned, reason);
    }

    private void OnTick()
    {
        var now = Time.GetTimestamp();
        var rateSampled = _uploadRate.Sample(Interlocked.Read(ref _uploaded), now, Time);
        _downloadRate.Sample(Interlocked.Read(ref _downloaded), now, Time);
        foreach (var peer in _peers.ToArray())
        {
            if (peer.DownloadCount > 0 && Time.GetElapsedTime(peer.LastBlockTicks, now) > Options.RequestTimeout)
            {
                peer.Abort(CloseReason.RequestsTimedOut);
                continue;
            }
            if (Time.GetElapsedTime(peer.LastReceiveTicks, now) > TimeSpan.FromMinutes(3))
            {
                peer.Abort(CloseReason.Silent, "nothing received for 3 minutes");
                continue;
            }
            if (Time.GetElapsedTime(peer.LastSendTicks, now) > TimeSpan.FromSeconds(90))
            {
                peer.Send(Outgoing.KeepAlive);
            }
            peer.UpdateRate(now, Time, Options);
            _choker.TryUnchoke(peer, _peers);
            if (peer.Hungry)
            {
                Fill(peer);
            }
        }
        if (_superSeeder is { Active: true } superSeeder)
        {
            if (rateSampled)
            {
                superSeeder.Adapt(_uploadRate.Rate);
            }
            superSeeder.Sweep(now);
        }
        _webSeeds.Tick(now, Downloading);
        _dialer.QueueRedials();
        DialCandidates();
    }
}
