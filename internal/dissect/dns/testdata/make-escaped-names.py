#!/usr/bin/env python3
# Writes escaped_names.pcap: one DNS query per argument, its name the given
# labels (Python bytes literals), for comparing Ward's rendering of binary
# labels with tshark's. Regenerate both files with:
#   python3 make-escaped-names.py escaped_names.pcap LABELS... (see escaped_names.labels)
#   tshark -r escaped_names.pcap -T fields -e dns.qry.name > escaped_names.tshark.txt
import struct,sys
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return (~s)&0xffff
def name(labels):
    return b''.join(bytes([len(l)])+l for l in labels)+b'\0'
def pkt(labels):
    q=struct.pack('!HHHHHH',0x1234,0x0100,1,0,0,0)+name(labels)+struct.pack('!HH',1,1)
    udp=struct.pack('!HHHH',5354,53,8+len(q),0)+q
    ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(udp),1,0,64,17,0,bytes([10,0,0,1]),bytes([10,0,0,2]))
    ip=ip[:10]+struct.pack('!H',csum(ip))+ip[12:]
    return bytes.fromhex('001122334455665544332211')+b'\x08\x00'+ip+udp
import ast
labels=[ast.literal_eval(x) for x in sys.argv[2:]]
with open(sys.argv[1],'wb') as f:
    f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))
    for l in labels: e=pkt(l.split(b'|')); f.write(struct.pack('<IIII',0,0,len(e),len(e))+e)
