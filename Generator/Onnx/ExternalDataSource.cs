using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;

// This type is the one place the compiler reads files other than the model itself: a model's external data.
// The analyzer rule against file IO (RS1035) is off here for the same reason ModelGenerator reads the model
// directly: the data is binary and lives beside the model, and Roslyn offers no API for it.
#pragma warning disable RS1035

namespace ModelCompiler.Onnx;

/// <summary>
/// Where a model's external tensor data may come from: files in the model's own folder or below it, laid out as
/// ONNX saves them (a <c>location</c> relative to the model's folder, an optional <c>offset</c> and <c>length</c>
/// in bytes). A location that leaves the folder (<c>..</c>, an absolute or drive path, a link whose target is
/// outside) is refused before anything is opened; so is a range that is not inside the file. Every byte read is
/// hashed, so that the weight blob's fingerprint changes when a data file does, and every file read is listed,
/// so that the build can track them as inputs.
/// </summary>
internal sealed class ExternalDataSource
{
    private readonly string? _folder;
    private readonly string? _refusal;
    private readonly List<string> _files = new();
    private readonly IncrementalHash _digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _anyRead;
    private byte[]? _digestValue;

    private ExternalDataSource(string? folder, string? refusal)
    {
        _folder = folder;
        _refusal = refusal;
    }

    /// <summary>External data beside the model file at <paramref name="modelPath"/>.</summary>
    public static ExternalDataSource Beside(string modelPath) =>
        new(Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? Path.GetFullPath("."), null);

    /// <summary>A source that reads nothing and says why (the OnnxRuntime backend, compiling from bytes alone).</summary>
    public static ExternalDataSource Refuse(string reason) => new(null, reason);

    /// <summary>The default when a compilation has only the model's bytes.</summary>
    public static ExternalDataSource None { get; } = Refuse("the compiler was given the model's bytes without its folder");

    /// <summary>Absolute paths of the data files read, in first-read order.</summary>
    public IReadOnlyList<string> FilesRead => _files;

    /// <summary>SHA-256 over every (location, offset, length, bytes) read, in order; null when nothing was read. Call after reading.</summary>
    public byte[]? Digest() => !_anyRead ? null : _digestValue ??= _digest.GetHashAndReset();

    /// <summary>
    /// Reads <paramref name="expectedBytes"/> bytes of tensor <paramref name="tensor"/> from the external data
    /// entries of its TensorProto. Throws <see cref="Refused"/> (MC0005) naming the tensor, the location and the reason.
    /// </summary>
    public byte[] Read(string tensor, IReadOnlyDictionary<string, string> entries, long expectedBytes)
    {
        entries.TryGetValue("location", out string? location);
        location ??= "";
        if (_refusal is not null) throw new Refused(tensor, location, _refusal);
        if (location.Length == 0) throw new Refused(tensor, location, "the tensor names no location");

        long offset = Number(tensor, location, entries, "offset") ?? 0;
        long? length = Number(tensor, location, entries, "length");
        if (length is { } l && l != expectedBytes)
            throw new Refused(tensor, location, $"its length is {l} bytes, but the tensor's type and dims need {expectedBytes}");

        string path = Resolve(tensor, location);
        var info = new FileInfo(path);
        if (!info.Exists) throw new Refused(tensor, location, "no such file in the model's folder");
        if (offset > info.Length || expectedBytes > info.Length - offset)
            throw new Refused(tensor, location, $"its {expectedBytes} bytes at offset {offset} are not inside the file ({info.Length} bytes)");

        var bytes = new byte[expectedBytes];
        if (expectedBytes > 0)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
                stream.Seek(offset, SeekOrigin.Begin);
                int done = 0;
                while (done < bytes.Length)
                {
                    int n = stream.Read(bytes, done, bytes.Length - done);
                    if (n <= 0) throw new Refused(tensor, location, $"the file ended after {offset + done} bytes");
                    done += n;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Refused(tensor, location, "it cannot be read: " + e.Message);
            }
        }
        if (!_files.Contains(path)) _files.Add(path);
        _anyRead = true;
        _digest.AppendData(System.Text.Encoding.UTF8.GetBytes($"{location}\n{offset}\n{expectedBytes}\n"));
        _digest.AppendData(bytes);
        return bytes;
    }

    private static long? Number(string tensor, string location, IReadOnlyDictionary<string, string> entries, string key)
    {
        if (!entries.TryGetValue(key, out string? text)) return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            throw new Refused(tensor, location, $"its {key} '{text}' is not a number of bytes");
        return value;
    }

    /// <summary>The file a location names, after checking that it stays inside the model's folder, links followed.</summary>
    private string Resolve(string tensor, string location)
    {
        if (location.IndexOf('\0') >= 0 || location.IndexOf(':') >= 0 || Path.IsPathRooted(location) || location[0] is '/' or '\\')
            throw new Refused(tensor, location, "it is not a path relative to the model's folder");
        var segments = location.Split('/', '\\');
        if (segments.Any(s => s == ".."))
            throw new Refused(tensor, location, "it leaves the model's folder ('..')");
        if (location.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            throw new Refused(tensor, location, "it is not a valid path");

        string folder = _folder!;
        string full = Path.GetFullPath(Path.Combine(folder, location));
        if (!IsInside(full, folder)) throw new Refused(tensor, location, "it leaves the model's folder");

        // Links: the real path of the file (every link along the way followed) must be inside the real path of the folder.
        string? realFolder = RealPath(folder);
        string? realFile = RealPath(full);
        if (realFolder is null || realFile is null)
            throw new Refused(tensor, location, "it goes through a link that cannot be followed here");
        if (!IsInside(realFile, realFolder))
            throw new Refused(tensor, location, $"it is a link to '{realFile}', outside the model's folder");
        return realFile;
    }

    private static bool IsInside(string path, string folder)
    {
        string prefix = folder.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? folder : folder + Path.DirectorySeparatorChar;
        var comparison = Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path.StartsWith(prefix, comparison) && path.Length > prefix.Length;
    }

    // FileSystemInfo.LinkTarget exists from .NET 6 on; the generator targets netstandard2.0 and may run on .NET
    // Framework (Visual Studio), where a link cannot be followed and is refused instead.
    private static readonly PropertyInfo? s_linkTarget = typeof(FileSystemInfo).GetProperty("LinkTarget");

    /// <summary>
    /// The path with every symbolic link or junction along it replaced by its target (as realpath(3) does);
    /// null when a link cannot be read or there are more than 40 of them (a loop).
    /// </summary>
    internal static string? RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "";
        var pending = new List<string>(full.Substring(root.Length).Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries));
        string current = root;
        int links = 0;
        while (pending.Count > 0)
        {
            string next = Path.Combine(current, pending[0]);
            pending.RemoveAt(0);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) == 0)
            {
                current = next;
                continue;
            }
            if (++links > 40 || s_linkTarget?.GetValue(info) is not string target) return null;
            string resolved = Path.GetFullPath(Path.Combine(current, target));
            string resolvedRoot = Path.GetPathRoot(resolved) ?? "";
            pending.InsertRange(0, resolved.Substring(resolvedRoot.Length).Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries));
            current = resolvedRoot;
        }
        return current;
    }

    /// <summary>An external location that is refused or cannot be read: MC0005 naming the tensor, the location and why.</summary>
    public sealed class Refused : Exception
    {
        public Refused(string tensor, string location, string reason) : base(reason)
        {
            Tensor = tensor;
            Location = location;
            Reason = reason;
        }

        public string Tensor { get; }
        public string Location { get; }
        public string Reason { get; }
    }
}
