namespace Ezio.BitTorrent.Engine;

/// <summary>Why a peer connection closed; the first reason given wins.</summary>
internal enum CloseReason
{
    RemoteClosed,
    ProtocolError,
    ConnectionLost,
    StorageReadFailed,
    SessionStopped,
    ConnectedToSelf,
    Banned,
    Duplicate,
    TooManyConnections,
    BothSeeds,
    DownloadFailed,
    RequestsTimedOut,
    Silent,
}
