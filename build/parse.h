#ifndef _yy_defines_h_
#define _yy_defines_h_

#define LISTEN 257
#define ON 258
#define PORT 259
#define USER 260
#define CHROOT 261
#define CAFILE 262
#define UPSTREAM 263
#define TLSNAME 264
#define PIN 265
#define UPSTREAMPOLICY 266
#define PADDING 267
#define CACHE 268
#define SIZE 269
#define TCPIDLETIMEOUT 270
#define QUERYTIMEOUT 271
#define TCPMAXCONN 272
#define TCPMAXPIPELINE 273
#define MAXQUERIES 274
#define ENGINES 275
#define ALLOW 276
#define DENY 277
#define FROM 278
#define INCLUDE 279
#define ERROR 280
#define STRING 281
#define NUMBER 282

#endif /* _yy_defines_h_ */
