#!/usr/bin/env python3
"""derive.py CAPTURE HOST[,HOST...] > NAME.csv
Header facts of TCP SYN / SYN-ACK packets and the first UDP datagram of each
direction of each UDP flow, where the host is source or destination."""
import csv, subprocess, sys
cap, hosts = sys.argv[1], set(sys.argv[2].split(','))
F = ['ip.src','ipv6.src','tcp.srcport','udp.srcport','ip.dst','ipv6.dst','tcp.dstport','udp.dstport',
     'frame.time_epoch','tcp.flags.syn','tcp.flags.ack','ip.ttl','ipv6.hlim','ip.id','ip.flags.df',
     'tcp.window_size_value','tcp.options.mss_val','tcp.options.wscale.shift','tcp.option_kind','tcp.seq_raw']
filt = '(tcp.flags.syn==1 && !icmp) || (udp && !icmp && !(tcp))'
cmd = ['tshark','-r',cap,'-n','-Y',filt,'-T','fields','-E','separator=\t','-E','occurrence=f'] + sum([['-e',f] for f in F],[])
# -E occurrence=f keeps the first of each field (the outer IP header);
# the option kinds need all of theirs, from a second pass.
cmd2 = ['tshark','-r',cap,'-n','-Y',filt,'-T','fields','-E','separator=\t','-E','aggregator=,','-e','tcp.option_kind']
a = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
b = subprocess.run(cmd2, capture_output=True, text=True, check=True).stdout.splitlines()
assert len(a) == len(b), (len(a), len(b))
names = {0:'eol',1:'nop',2:'mss',3:'ws',4:'sok',5:'sack',8:'ts'}
w = csv.writer(sys.stdout, quoting=csv.QUOTE_ALL, lineterminator='\n')
w.writerow(['src','sport','dst','dport','time','proto','flags','ttl','ipid','df','win','mss','ws','opts','seq'])
seen = set()
for la, lb in zip(a, b):
    p = dict(zip(F, la.split('\t')))
    src = p['ip.src'] or p['ipv6.src']; dst = p['ip.dst'] or p['ipv6.dst']
    if src not in hosts and dst not in hosts: continue
    tcp = p['tcp.srcport'] != ''
    if tcp:
        sport, dport = p['tcp.srcport'], p['tcp.dstport']
        flags = 'SA' if p['tcp.flags.ack'] in ('1','True') else 'S'
        ks = [int(k) for k in lb.split(',') if k != '']
        # tshark lists an EOL's padding bytes as more EOLs: eol+N.
        n0 = 0
        while n0 < len(ks) and ks[len(ks)-1-n0] == 0: n0 += 1
        opts = ','.join([names.get(k, '?%d' % k) for k in ks[:len(ks)-n0]] + (['eol+%d' % (n0-1)] if n0 else []))
        win, mss, ws, seq = p['tcp.window_size_value'], p['tcp.options.mss_val'], p['tcp.options.wscale.shift'], p['tcp.seq_raw']
    else:
        sport, dport = p['udp.srcport'], p['udp.dstport']
        if not sport: continue
        key = (src, sport, dst, dport)
        if key in seen: continue
        seen.add(key)
        flags, opts, win, mss, ws, seq = '', '', '', '', '', ''
    ttl = p['ip.ttl'] or p['ipv6.hlim']
    ipid = str(int(p['ip.id'], 16)) if p['ip.id'].startswith('0x') else p['ip.id']
    df = {'1':'1','True':'1','0':'0','False':'0'}.get(p['ip.flags.df'], '')
    w.writerow([src, sport, dst, dport, p['frame.time_epoch'], 'tcp' if tcp else 'udp', flags, ttl, ipid, df, win, mss, ws, opts, seq])
