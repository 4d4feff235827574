package org.tarn.target.server;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

import org.tarn.target.protocol.Message;
import org.tarn.target.protocol.WireFormat;

/** A protocol client on a plain socket, to send exactly the frames a test wants (good or bad). */
final class RawClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final Message.Challenge challenge;

    RawClient(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(20_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        challenge = (Message.Challenge) read();
    }

    /** Connects, says hello (with a proof when {@code secret} is set) and connects to {@code target}. */
    static RawClient ready(InetSocketAddress address, String clientId, byte[] secret, String target)
            throws IOException {
        RawClient c = new RawClient(address);
        c.hello(clientId, secret);
        Message.Response ok = (Message.Response) c.read();
        if (!ok.ok()) {
            throw new IOException("hello refused: " + ok);
        }
        c.send(new Message.Connect(-1, target));
        Message m = c.read();
        if (!(m instanceof Message.Connected)) {
            throw new IOException("connect refused: " + m);
        }
        return c;
    }

    void hello(String clientId, byte[] secret) throws IOException {
        send(new Message.Hello(WireFormat.VERSION, clientId,
                secret == null ? new byte[0] : WireFormat.proof(secret, challenge.nonce(), clientId)));
    }

    synchronized void send(Message m) throws IOException {
        ByteBuffer b = WireFormat.encode(m);
        out.writeInt(b.remaining());
        out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        out.flush();
    }

    synchronized void sendRaw(int length, byte[] body) throws IOException {
        out.writeInt(length);
        out.write(body);
        out.flush();
    }

    Message read() throws IOException {
        int n = in.readInt();
        byte[] b = new byte[n];
        in.readFully(b);
        return WireFormat.decode(ByteBuffer.wrap(b));
    }

    /** Whether the server closed the connection (reads EOF within the socket timeout). */
    boolean closedByServer() throws IOException {
        try {
            while (true) {
                read();
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
