package mqtt

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var meta = dissecttest.TCPMeta(50000, 1883)

const capture = "mosquitto_clients"

// TestGolden: Mosquitto's clients against the broker (testdata/capture-mqtt.sh):
// a 3.1.1 publish with credentials, an anonymous 5.0 subscribe. The user
// name and password are canaries.
func TestGolden(t *testing.T) {
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", capture+".pcap"), New()) {
		obs = append(obs, f.Obs)
	}
	testutil.Golden(t, capture, obs)
	want := []map[string]string{
		{"mqtt.packet": "connect", "mqtt.protocol_version": "3.1.1", "mqtt.client_id": "ALARIS-PCU-12345678", "mqtt.cleartext_password": "seen"},
		{"mqtt.packet": "connack", "mqtt.connack": "accepted"},
		{"mqtt.packet": "connect", "mqtt.protocol_version": "5.0", "mqtt.client_id": "icu-gw-07"},
		{"mqtt.packet": "connack", "mqtt.connack": "accepted", "mqtt.anonymous": "accepted"},
	}
	if diff := cmp.Diff(want, dissecttest.FieldMaps(obs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	dissecttest.NoCanary(t, obs, "canary")
}

// TestOracle: client identifiers, versions and the password flag agree with
// tshark's reading, frame by frame.
func TestOracle(t *testing.T) {
	oracle := dissecttest.ReadOracle(t, filepath.Join("testdata", capture+".oracle.tsv"))
	got := map[int]observe.Observation{}
	for _, f := range dissecttest.RunChecked(t, filepath.Join("testdata", capture+".pcap"), New()) {
		got[f.Frame] = f.Obs
	}
	versions := map[string]string{"3": "3.1", "4": "3.1.1", "5": "5.0"}
	n := 0
	for frame, row := range oracle {
		if dissecttest.First(row["mqtt.msgtype"]) != "1" {
			continue
		}
		n++
		o := dissecttest.FieldMap(got[frame])
		if o["mqtt.client_id"] != dissecttest.First(row["mqtt.clientid"]) || o["mqtt.protocol_version"] != versions[dissecttest.First(row["mqtt.ver"])] {
			t.Errorf("frame %d: ours %v, tshark %v", frame, o, row)
		}
		if (o["mqtt.cleartext_password"] == "seen") != (dissecttest.First(row["mqtt.conflag.passwd"]) == "1") {
			t.Errorf("frame %d: password flag ours %q, tshark %v", frame, o["mqtt.cleartext_password"], row["mqtt.conflag.passwd"])
		}
	}
	if n != 2 {
		t.Fatalf("oracle has %d CONNECTs", n)
	}
}

// connect builds a CONNECT packet.
func connect(level byte, flags byte, clientID string, extra ...byte) []byte {
	name := "MQTT"
	if level == 3 {
		name = "MQIsdp"
	}
	v := binary.BigEndian.AppendUint16(nil, uint16(len(name)))
	v = append(v, name...)
	v = append(v, level, flags, 0, 60)
	if level == 5 {
		v = append(v, 0) // no properties
	}
	v = binary.BigEndian.AppendUint16(v, uint16(len(clientID)))
	v = append(v, clientID...)
	v = append(v, extra...)
	return append([]byte{typeConnect << 4, byte(len(v))}, v...)
}

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		c2s, s2c []byte
		cut      int
		want     []map[string]string
	}{
		{
			name: "3.1 (MQIsdp), refused",
			c2s:  connect(3, 0x02, "pump-1"),
			s2c:  []byte{typeConnack << 4, 2, 0, 5},
			want: []map[string]string{
				{"mqtt.packet": "connect", "mqtt.protocol_version": "3.1", "mqtt.client_id": "pump-1"},
				{"mqtt.packet": "connack", "mqtt.connack": "refused"},
			},
		},
		{
			name: "split in the remaining length",
			c2s:  connect(4, 0xc2, "monitor-7", 0, 1, 'u', 0, 1, 'p'),
			s2c:  []byte{typeConnack << 4, 2, 0, 0},
			cut:  1,
			want: []map[string]string{
				{"mqtt.packet": "connect", "mqtt.protocol_version": "3.1.1", "mqtt.client_id": "monitor-7", "mqtt.cleartext_password": "seen"},
				{"mqtt.packet": "connack", "mqtt.connack": "accepted"},
			},
		},
		{
			name: "not MQTT",
			c2s:  []byte("GET / HTTP/1.1\r\n\r\n"),
			s2c:  []byte("HTTP/1.1 200 OK\r\n\r\n"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New().NewStream()
			var c observe.Collector
			parts := [][]byte{tc.c2s}
			if tc.cut > 0 {
				parts = [][]byte{tc.c2s[:tc.cut], tc.c2s[tc.cut:]}
			}
			for _, p := range parts {
				s.Data(meta(true), true, p, &c)
			}
			if !s.Data(meta(false), false, tc.s2c, &c) {
				t.Error("not done after both sides' first packets")
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMaps(c.Obs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchTCP(t *testing.T) {
	d := New()
	if !d.MatchTCP(50000, 1883, true, connect(4, 2, "x")) || !d.MatchTCP(50000, 8080, true, connect(3, 2, "x")) ||
		d.MatchTCP(50000, 1883, true, []byte{0x10, 5, 0, 4, 'H', 'T', 'T'}) || d.MatchTCP(50000, 1883, true, []byte("GET /")) {
		t.Error("MatchTCP")
	}
}
